"""FastAPI Users' SQLAlchemy adapter (fastapi-users-db-sqlalchemy): its
SQLAlchemyBaseUserTableUUID and SQLAlchemyBaseOAuthAccountTableUUID mixins on a DeclarativeBase,
as its documentation sets them up: a `user` table and an `oauth_account` table with a cascading
foreign key to it; the library's GUID TypeDecorator (native UUID on PostgreSQL, CHAR(36)
elsewhere), an indexed unique email, indexed columns.

Dialects: the adapter works on every database SQLAlchemy supports; all three."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseOAuthAccountTableUUID
from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import relationship

REQUIREMENTS = ["fastapi-users-db-sqlalchemy==7.0.0", "fastapi-users==15.0.5"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library mixins, library types"


class Base(DeclarativeBase):
    pass


class OAuthAccount(SQLAlchemyBaseOAuthAccountTableUUID, Base):
    pass


class User(SQLAlchemyBaseUserTableUUID, Base):
    oauth_accounts: Mapped[list[OAuthAccount]] = relationship("OAuthAccount", lazy="joined")


metadata = Base.metadata

_USER = uuid.UUID("12345678-1234-5678-1234-567812345678")


def seed(conn: sa.Connection) -> None:
    conn.execute(
        sa.insert(User.__table__),
        [
            {
                "id": _USER,
                "email": "ada@example.org",
                "hashed_password": "x",
                "is_active": True,
                "is_superuser": False,
                "is_verified": True,
            }
        ],
    )
    conn.execute(
        sa.insert(OAuthAccount.__table__),
        [
            {
                "id": uuid.UUID("87654321-4321-8765-4321-876543218765"),
                "user_id": _USER,
                "oauth_name": "github",
                "access_token": "t",
                "account_id": "1",
                "account_email": "ada@example.org",
            }
        ],
    )
