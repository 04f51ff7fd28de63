"""Authlib's OAuth2 server mixins (authlib.integrations.sqla_oauth2) made concrete as its
documentation shows: a User, and the client, authorization code and token models holding a
foreign key to it.

Dialects: the mixins are plain SQLAlchemy; all three."""

from __future__ import annotations

import sqlalchemy as sa
from authlib.integrations.sqla_oauth2 import OAuth2AuthorizationCodeMixin
from authlib.integrations.sqla_oauth2 import OAuth2ClientMixin
from authlib.integrations.sqla_oauth2 import OAuth2TokenMixin
from sqlalchemy.orm import DeclarativeBase

REQUIREMENTS = ["authlib==1.9.10"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "library mixins"


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "user"
    id = sa.Column(sa.Integer, primary_key=True)
    username = sa.Column(sa.String(40), unique=True)


class OAuth2Client(Base, OAuth2ClientMixin):
    __tablename__ = "oauth2_client"
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"))


class OAuth2AuthorizationCode(Base, OAuth2AuthorizationCodeMixin):
    __tablename__ = "oauth2_code"
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"))


class OAuth2Token(Base, OAuth2TokenMixin):
    __tablename__ = "oauth2_token"
    id = sa.Column(sa.Integer, primary_key=True)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("user.id", ondelete="CASCADE"))


metadata = Base.metadata


def seed(conn: sa.Connection) -> None:
    conn.execute(sa.insert(User.__table__), [{"id": 1, "username": "ada"}])
    conn.execute(
        sa.insert(OAuth2Client.__table__),
        [
            {
                "user_id": 1,
                "client_id": "c1",
                "client_id_issued_at": 0,
                "client_secret_expires_at": 0,
            }
        ],
    )
