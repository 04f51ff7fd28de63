"""PostgreSQL's own column types in a small hand-written model (no project's models use them
all at once): ARRAY, JSONB, UUID with a server default, INET and CIDR, a native ENUM shared by
two tables, TSVECTOR with a GIN index, an INTERVAL, a partial index, a CHECK constraint, and a
table comment; sqlalchemy-utils' TSVectorType beside them.

Dialects: PostgreSQL only, by construction."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlalchemy_utils import TSVectorType

REQUIREMENTS = ["sqlalchemy-utils==0.43.0"]
DIALECTS = ["postgresql"]
UNSUPPORTED = {
    "sqlite": "the types are PostgreSQL's own",
    "mariadb": "the types are PostgreSQL's own",
}
KIND = "hand-written, PostgreSQL-only types"

metadata = sa.MetaData()
status = pg.ENUM("draft", "live", "gone", name="status")

host = sa.Table(
    "host",
    metadata,
    sa.Column(
        "id", pg.UUID(as_uuid=True), primary_key=True, server_default=sa.text("gen_random_uuid()")
    ),
    sa.Column("address", pg.INET, nullable=False, unique=True),
    sa.Column("network", pg.CIDR),
    sa.Column("labels", pg.ARRAY(sa.String(40)), nullable=False, server_default="{}"),
    sa.Column("facts", pg.JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("status", status, nullable=False, server_default="draft"),
    sa.Column("uptime", pg.INTERVAL),
    sa.CheckConstraint("cardinality(labels) <= 20", name="host_few_labels"),
    comment="machines we watch",
)
page = sa.Table(
    "page",
    metadata,
    sa.Column("id", sa.BigInteger, sa.Identity(always=True), primary_key=True),
    sa.Column("host_id", pg.UUID(as_uuid=True), sa.ForeignKey("host.id", ondelete="CASCADE")),
    sa.Column("status", status, nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("search", TSVectorType("body")),
    sa.Column("scores", pg.ARRAY(sa.Integer, dimensions=2)),
    sa.Index("page_search", "search", postgresql_using="gin"),
    sa.Index("page_live", "host_id", postgresql_where=sa.text("status = 'live'")),
)


def seed(conn: sa.Connection) -> None:
    hid = uuid.UUID(int=7)
    conn.execute(host.insert(), [{"id": hid, "address": "10.0.0.1", "labels": ["db"]}])
    conn.execute(page.insert(), [{"host_id": hid, "status": "live", "body": "hello"}])
