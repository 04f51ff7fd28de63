"""Authlib's OAuth2 server mixins, made concrete as its documentation shows."""

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
