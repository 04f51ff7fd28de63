"""(Re)build the pgshop sample's legacy PostgreSQL database without migrations.

Usage: python samples/pgshop/build_legacy_db.py [--url URL]
URL precedence: --url, then $DATABASE_URL, then postgresql+psycopg://root@127.0.0.1:5432/pgshop.
The target database is created first if it does not exist.
"""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import URL
from sqlalchemy.engine import make_url

SAMPLE_DIR = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: $DATABASE_URL or local pgshop)")
    return parser.parse_args(argv)


def check_url(url: URL) -> None:
    if url.get_backend_name() != "postgresql":
        sys.exit(f"pgshop needs PostgreSQL, got {url.render_as_string(hide_password=True)}")
    if not url.database:
        sys.exit("pgshop: the database URL names no database")


def ensure_database(url: URL) -> None:
    """CREATE DATABASE through the `postgres` maintenance database if it is missing."""
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": url.database},
            )
            if not exists:
                quoted = admin.dialect.identifier_preparer.quote(url.database)
                conn.exec_driver_sql(f"CREATE DATABASE {quoted}")
    finally:
        admin.dispose()


def seed() -> None:
    """Insert a handful of deterministic rows into every table.

    Integer keys are left to the database: fresh tables number rows 1..n, and explicit
    ids would leave PostgreSQL sequences behind the data.
    """
    from shop import Customer
    from shop import Order
    from shop import OrderItem
    from shop import OrderStatus
    from shop import Product
    from shop import db

    def fixed_uuid(n: int) -> uuid.UUID:
        return uuid.UUID(int=n, version=4)

    def at(day: int, hour: int = 12) -> datetime:
        return datetime(2024, 6, day, hour, 0, 0, tzinfo=UTC)

    ada = Customer(
        id=fixed_uuid(1),
        email="ada@example.com",
        full_name="Ada Lovelace",
        signup_ip="192.0.2.10",
        preferences={"newsletter": True, "currency": "GBP"},
        created_at=at(1),
    )
    alan = Customer(
        id=fixed_uuid(2),
        email="alan@example.com",
        full_name="Alan Turing",
        signup_ip="2001:db8::1",
        preferences={},
        is_active=False,
        created_at=at(2),
    )
    grace = Customer(
        id=fixed_uuid(3),
        email="grace@example.com",
        full_name="Grace Hopper",
        signup_ip=None,
        preferences={"newsletter": False},
        created_at=at(3),
    )
    kettle = Product(
        sku="KET-01",
        name="Kettle",
        price=Decimal("29.90"),
        tags=["kitchen", "electric"],
        attributes={"colour": "steel", "litres": 1.7},
    )
    mug = Product(sku="MUG-02", name="Mug", price=Decimal("6.50"), tags=["kitchen"])
    tea = Product(
        sku="TEA-03",
        name="Earl Grey (250g)",
        price=Decimal("8.75"),
        tags=[],
        attributes={"organic": True},
        in_stock=False,
    )
    db.session.add_all([ada, alan, grace, kettle, mug, tea])

    address = {"line1": "12 Analytical St", "city": "London", "postcode": "N1 1AA"}
    orders = [
        Order(id=fixed_uuid(101), customer=ada, status=OrderStatus.PAID, placed_at=at(5)),
        Order(
            id=fixed_uuid(102),
            customer=ada,
            status=OrderStatus.SHIPPED,
            placed_at=at(6),
            shipping_address=address,
        ),
        Order(id=fixed_uuid(103), customer=alan, placed_at=at(7)),
        Order(id=fixed_uuid(104), customer=grace, status=OrderStatus.CANCELLED, placed_at=at(8)),
    ]
    db.session.add_all(orders)
    db.session.flush()

    lines = [
        (orders[0], kettle, 1),
        (orders[0], mug, 2),
        (orders[1], tea, 3),
        (orders[2], mug, 4),
        (orders[3], kettle, 1),
    ]
    db.session.add_all(
        OrderItem(order=order, product=product, quantity=qty, unit_price=product.price)
        for order, product, qty in lines
    )
    db.session.commit()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.url:
        # shop.py reads $DATABASE_URL at import time, so set it before importing.
        os.environ["DATABASE_URL"] = args.url
    if os.environ.get("DATABASE_URL"):
        # Reject other backends before Flask-SQLAlchemy sees them (it would, for example,
        # create an instance/ folder for a relative SQLite path).
        check_url(make_url(os.environ["DATABASE_URL"]))
    sys.path.insert(0, str(SAMPLE_DIR))

    from shop import app
    from shop import db

    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    check_url(url)
    ensure_database(url)
    with app.app_context():
        db.drop_all()  # drops the order_status ENUM together with the orders table
        with db.engine.begin() as conn:
            # Also catch a stray type left behind when only the tables were dropped.
            postgresql.ENUM(name="order_status").drop(conn, checkfirst=True)
            # A legacy database never has Alembic's bookkeeping table; remove leftovers.
            sa.Table("alembic_version", sa.MetaData()).drop(conn, checkfirst=True)
        db.create_all()
        seed()
        db.session.remove()
        db.engine.dispose()  # close pooled connections before the interpreter exits
    print(f"Built legacy pgshop database: {url.render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
