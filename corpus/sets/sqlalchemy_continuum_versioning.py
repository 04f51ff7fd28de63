"""SQLAlchemy-Continuum's versioning: two plain SQLAlchemy models made versioned as its
documentation shows, so that configure_mappers() adds the `transaction` table and an
`article_version` / `tag_version` table per model (composite keys, operation_type, indexes).

Dialects: Continuum supports all three."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import declarative_base
from sqlalchemy_continuum import make_versioned

REQUIREMENTS = ["sqlalchemy-continuum==2.0.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "plain SQLAlchemy, generated version tables"

make_versioned(user_cls=None)
Base = declarative_base()


class Article(Base):  # type: ignore[valid-type,misc]
    __versioned__: dict[str, object] = {}
    __tablename__ = "article"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.Unicode(255))
    content = sa.Column(sa.UnicodeText)


class Tag(Base):  # type: ignore[valid-type,misc]
    __versioned__: dict[str, object] = {}
    __tablename__ = "tag"
    id = sa.Column(sa.Integer, primary_key=True, autoincrement=True)
    name = sa.Column(sa.Unicode(255))
    article_id = sa.Column(sa.Integer, sa.ForeignKey(Article.id))


sa.orm.configure_mappers()
metadata = Base.metadata


def seed(conn: sa.Connection) -> None:
    conn.execute(sa.insert(Article.__table__), [{"name": "first", "content": "text"}])
    conn.execute(sa.insert(Tag.__table__), [{"name": "news", "article_id": 1}])
