"""sqlalchemy-utils' column types in a small plain SQLAlchemy model, as a project would use
them: UUIDType, EmailType, URLType, JSONType, ScalarListType and ChoiceType, all
TypeDecorators that the baseline must render and import.

Dialects: the types are portable; all three."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy_utils import ChoiceType
from sqlalchemy_utils import EmailType
from sqlalchemy_utils import JSONType
from sqlalchemy_utils import ScalarListType
from sqlalchemy_utils import URLType
from sqlalchemy_utils import UUIDType

REQUIREMENTS = ["sqlalchemy-utils==0.43.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "plain SQLAlchemy, library types"

ROLES = [("admin", "Administrator"), ("member", "Member")]

metadata = sa.MetaData()
account = sa.Table(
    "account",
    metadata,
    sa.Column("id", UUIDType(binary=False), primary_key=True),
    sa.Column("email", EmailType(255), nullable=False, unique=True),
    sa.Column("homepage", URLType),
    sa.Column("settings", JSONType),
    sa.Column("tags", ScalarListType(str)),
    sa.Column("role", ChoiceType(ROLES, impl=sa.String(20)), nullable=False),
)


def seed(conn: sa.Connection) -> None:
    conn.execute(
        account.insert(),
        [
            {
                "id": uuid.UUID(int=1),
                "email": "ada@example.org",
                "homepage": "https://example.org",
                "settings": {"theme": "dark"},
                "tags": ["a", "b"],
                "role": "admin",
            }
        ],
    )
