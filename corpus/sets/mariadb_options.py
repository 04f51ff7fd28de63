"""MariaDB/MySQL table and column options in a small hand-written model (no project's models
use them all at once): ENGINE, DEFAULT CHARSET and COLLATE, ROW_FORMAT and a table COMMENT;
UNSIGNED integers, TINYINT, SET and ENUM, a column collation, ON UPDATE CURRENT_TIMESTAMP, an
index prefix length, a FULLTEXT index, and a pair of tables whose foreign keys form a cycle
(one closed with use_alter).

Dialects: MariaDB/MySQL only, by construction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

REQUIREMENTS: list[str] = []
DIALECTS = ["mariadb"]
UNSUPPORTED = {
    "sqlite": "the options are MariaDB/MySQL's own",
    "postgresql": "the options are MariaDB/MySQL's own",
}
KIND = "hand-written, MariaDB-only options, FK cycle"

metadata = sa.MetaData()
OPTIONS = {
    "mysql_engine": "InnoDB",
    "mysql_charset": "utf8mb4",
    "mysql_collate": "utf8mb4_unicode_ci",
}

team = sa.Table(
    "team",
    metadata,
    sa.Column("id", mysql.INTEGER(unsigned=True), primary_key=True),
    sa.Column("name", sa.String(100, collation="utf8mb4_bin"), nullable=False),
    sa.Column("captain_id", mysql.INTEGER(unsigned=True)),
    sa.Column("flags", mysql.SET("public", "archived", "paid")),
    sa.Column("level", mysql.ENUM("low", "mid", "high"), nullable=False, server_default="low"),
    sa.Column("active", mysql.TINYINT(1), nullable=False, server_default="1"),
    sa.Column(
        "updated_at",
        mysql.TIMESTAMP,
        nullable=False,
        server_default=sa.text("CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP"),
    ),
    sa.ForeignKeyConstraint(
        ["captain_id"], ["player.id"], name="team_captain", use_alter=True, ondelete="SET NULL"
    ),
    mysql_row_format="DYNAMIC",
    comment="teams and their captains",
    **OPTIONS,
)
player = sa.Table(
    "player",
    metadata,
    sa.Column("id", mysql.INTEGER(unsigned=True), primary_key=True),
    sa.Column("team_id", mysql.INTEGER(unsigned=True), sa.ForeignKey("team.id")),
    sa.Column("nick", sa.String(255), nullable=False),
    sa.Column("bio", sa.Text),
    sa.Column("score", mysql.BIGINT(unsigned=True), nullable=False, server_default="0"),
    sa.Index("player_nick", "nick", mysql_length=20),
    sa.Index("player_bio", "bio", mysql_prefix="FULLTEXT"),
    **OPTIONS,
)


def seed(conn: sa.Connection) -> None:
    conn.execute(team.insert(), [{"id": 1, "name": "Reds", "flags": {"public"}}])
    conn.execute(player.insert(), [{"id": 1, "team_id": 1, "nick": "ada", "bio": "hi"}])
    conn.execute(team.update().values(captain_id=1))
