"""Inventory models: plain SQLAlchemy 2 declarative mapping with a naming convention."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from inventory.types import Money
from inventory.types import Slug

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class Supplier(Base):
    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    slug: Mapped[str] = mapped_column(Slug(), unique=True)
    contact_email: Mapped[str | None] = mapped_column(sa.String(120))

    products: Mapped[list[ProductSupplier]] = relationship(back_populates="supplier")


class Warehouse(Base):
    __tablename__ = "warehouses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(10), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    city: Mapped[str | None] = mapped_column(sa.String(80), index=True)

    stock: Mapped[list[StockLevel]] = relationship(back_populates="warehouse")


class Product(Base):
    __tablename__ = "products"
    __table_args__ = (sa.Index("ix_products_category_name", "category", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    sku: Mapped[str] = mapped_column(sa.String(32), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    slug: Mapped[str] = mapped_column(Slug())
    category: Mapped[str] = mapped_column(sa.String(50))
    price: Mapped[Decimal] = mapped_column(Money())
    weight_kg: Mapped[Decimal | None] = mapped_column(sa.Numeric(10, 2))
    discontinued: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())

    suppliers: Mapped[list[ProductSupplier]] = relationship(back_populates="product")
    stock: Mapped[list[StockLevel]] = relationship(back_populates="product")


class ProductSupplier(Base):
    """Association between products and suppliers, with per-supplier terms."""

    __tablename__ = "product_suppliers"

    product_id: Mapped[int] = mapped_column(
        sa.ForeignKey("products.id", ondelete="CASCADE"), primary_key=True
    )
    supplier_id: Mapped[int] = mapped_column(
        sa.ForeignKey("suppliers.id", ondelete="CASCADE"), primary_key=True
    )
    unit_cost: Mapped[Decimal] = mapped_column(Money())
    lead_time_days: Mapped[int | None]

    product: Mapped[Product] = relationship(back_populates="suppliers")
    supplier: Mapped[Supplier] = relationship(back_populates="products")


class StockLevel(Base):
    __tablename__ = "stock_levels"
    __table_args__ = (
        sa.UniqueConstraint("warehouse_id", "product_id", name="uq_stock_levels_warehouse_product"),
        # Named via the "ck" convention: ck_stock_levels_quantity_non_negative.
        sa.CheckConstraint("quantity >= 0", name="quantity_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    warehouse_id: Mapped[int] = mapped_column(sa.ForeignKey("warehouses.id"))
    product_id: Mapped[int] = mapped_column(sa.ForeignKey("products.id"))
    quantity: Mapped[int] = mapped_column(server_default="0")
    updated_at: Mapped[datetime] = mapped_column(sa.DateTime, server_default=sa.func.now())

    warehouse: Mapped[Warehouse] = relationship(back_populates="stock")
    product: Mapped[Product] = relationship(back_populates="stock")
