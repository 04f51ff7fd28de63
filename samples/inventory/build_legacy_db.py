"""(Re)build the inventory sample's legacy database without migrations.

Usage: python samples/inventory/build_legacy_db.py [--url URL]
URL precedence: --url, then $DATABASE_URL, then samples/inventory/inventory.db (SQLite).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

SAMPLE_DIR = Path(__file__).resolve().parent


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: $DATABASE_URL or inventory.db)")
    return parser.parse_args(argv)


def seed(session: Session) -> None:
    """Insert a handful of deterministic rows into every table.

    Integer keys are left to the database: fresh tables number rows 1..n, and explicit
    ids would leave PostgreSQL sequences behind the data.
    """
    from inventory.models import Product
    from inventory.models import ProductSupplier
    from inventory.models import StockLevel
    from inventory.models import Supplier
    from inventory.models import Warehouse

    acme = Supplier(name="Acme Tools", slug="Acme-Tools", contact_email="sales@acme.test")
    globex = Supplier(name="Globex Parts", slug="GLOBEX-parts", contact_email=None)
    initech = Supplier(name="Initech Supply", slug="initech-supply")

    north = Warehouse(code="NTH", name="North Depot", city="Leeds")
    south = Warehouse(code="STH", name="South Depot", city="Brighton")

    hammer = Product(
        sku="HAM-001",
        name="Claw Hammer",
        slug="Claw-Hammer",
        category="tools",
        price=Decimal("19.99"),
        weight_kg=Decimal("0.65"),
    )
    wrench = Product(
        sku="WRN-010",
        name="Adjustable Wrench",
        slug="adjustable-wrench",
        category="tools",
        price=12.5,
        weight_kg=Decimal("0.40"),
    )
    bolts = Product(
        sku="BLT-M8",
        name="M8 Bolts (100)",
        slug="M8-Bolts-100",
        category="fasteners",
        price=Decimal("7.455"),
        weight_kg=None,
    )
    saw = Product(
        sku="SAW-003",
        name="Hand Saw",
        slug="hand-saw",
        category="tools",
        price=Decimal("24.00"),
        weight_kg=Decimal("0.90"),
        discontinued=True,
    )
    session.add_all([acme, globex, initech, north, south, hammer, wrench, bolts, saw])

    session.add_all(
        [
            ProductSupplier(
                product=hammer, supplier=acme, unit_cost=Decimal("11.20"), lead_time_days=5
            ),
            ProductSupplier(product=hammer, supplier=globex, unit_cost=Decimal("10.95")),
            ProductSupplier(
                product=wrench, supplier=acme, unit_cost=Decimal("6.10"), lead_time_days=7
            ),
            ProductSupplier(
                product=bolts, supplier=initech, unit_cost=Decimal("3.333"), lead_time_days=2
            ),
            ProductSupplier(
                product=saw, supplier=globex, unit_cost=Decimal("14.00"), lead_time_days=10
            ),
        ]
    )
    fixed = datetime(2024, 5, 1, 8, 0, 0)
    session.add_all(
        [
            StockLevel(warehouse=north, product=hammer, quantity=40, updated_at=fixed),
            StockLevel(warehouse=north, product=wrench, quantity=15, updated_at=fixed),
            StockLevel(warehouse=south, product=hammer, quantity=0, updated_at=fixed),
            StockLevel(warehouse=south, product=bolts, quantity=250, updated_at=fixed),
            # quantity left to its server default ("0"); updated_at stays fixed so the
            # data is deterministic (its server default is exercised by plain inserts).
            StockLevel(warehouse=south, product=saw, updated_at=fixed),
        ]
    )
    session.commit()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    sys.path.insert(0, str(SAMPLE_DIR))

    from inventory.db import make_engine
    from inventory.models import Base

    engine = make_engine(args.url)
    try:
        with engine.begin() as conn:
            Base.metadata.drop_all(conn)
            # A legacy database never has Alembic's bookkeeping table; remove leftovers.
            sa.Table("alembic_version", sa.MetaData()).drop(conn, checkfirst=True)
            Base.metadata.create_all(conn)
        with Session(engine) as session:
            seed(session)
    finally:
        engine.dispose()
    print(f"Built legacy inventory database: {engine.url.render_as_string(hide_password=True)}")


if __name__ == "__main__":
    main()
