import datetime as dt
import enum
import uuid

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column


class Color(enum.Enum):
    red = "red"
    green = "green"


class Base(DeclarativeBase):
    pass


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[int] = mapped_column(sa.BigInteger, primary_key=True)
    uid: Mapped[uuid.UUID] = mapped_column(sa.Uuid, default=uuid.uuid4, unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), index=True)
    bio: Mapped[str | None] = mapped_column(sa.Text)
    balance: Mapped[float] = mapped_column(sa.Numeric(12, 2), server_default="0")
    ratio: Mapped[float | None] = mapped_column(sa.Float)
    active: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.true())
    color: Mapped[Color] = mapped_column(
        sa.Enum(Color, name="color", native_enum=False, create_constraint=True)
    )
    data: Mapped[dict | None] = mapped_column(sa.JSON)
    blob: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    born: Mapped[dt.date | None] = mapped_column(sa.Date)
    wake: Mapped[dt.time | None] = mapped_column(sa.Time)
    created: Mapped[dt.datetime] = mapped_column(
        sa.DateTime(timezone=True), server_default=sa.func.now()
    )
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("accounts.id", ondelete="SET NULL"))
    __table_args__ = (
        sa.CheckConstraint("balance >= 0", name="ck_accounts_balance"),
        sa.Index("ix_accounts_name_color", "name", "color"),
    )


class Tag(Base):
    __tablename__ = "tags"
    account_id: Mapped[int] = mapped_column(
        sa.ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    label: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    weight: Mapped[int] = mapped_column(sa.SmallInteger, server_default=sa.text("1"))


assoc = sa.Table(
    "account_links",
    Base.metadata,
    sa.Column("a_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.Column("b_id", sa.ForeignKey("accounts.id"), primary_key=True),
    sa.UniqueConstraint("b_id", "a_id", name="uq_links_reverse"),
)
