"""Advanced Alchemy's audit bases: a UUIDAuditBase and a BigIntAuditBase model with a foreign
key between them, as its documentation writes models; its own GUID and DateTimeUTC
TypeDecorators, the ORM sentinel column, created_at/updated_at.

Dialects: Advanced Alchemy supports all three (and more)."""

from __future__ import annotations

import uuid

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


def seed(conn: sa.Connection) -> None:
    author_id = uuid.UUID(int=3)
    conn.execute(sa.insert(Author.__table__), [{"id": author_id, "name": "Ada"}])
    conn.execute(sa.insert(Book.__table__), [{"title": "Notes", "author_id": author_id}])
