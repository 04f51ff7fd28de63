"""Advanced Alchemy's audit bases (UUID and BigInt keys, its own GUID and DateTimeUTC types)."""

import sqlalchemy as sa
from advanced_alchemy.base import BigIntAuditBase
from advanced_alchemy.base import UUIDAuditBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column

REQUIREMENTS = ["advanced-alchemy==1.12.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library bases, custom types"


class Author(UUIDAuditBase):
    __tablename__ = "author"
    name: Mapped[str] = mapped_column(sa.String(100))


class Book(BigIntAuditBase):
    __tablename__ = "book"
    title: Mapped[str] = mapped_column(sa.String(200), index=True)
    author_id: Mapped[str] = mapped_column(sa.ForeignKey("author.id"))


metadata = UUIDAuditBase.metadata
