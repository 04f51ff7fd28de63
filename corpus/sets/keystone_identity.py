"""OpenStack Keystone's SQL models (keystone.common.sql.core.ModelBase.metadata after importing
every backend's `sql` or `sql_model` module, as Keystone's own backends load them): 47 tables
of users, groups, projects and domains, roles and assignments, the catalog (services,
endpoints, regions), credentials, trusts, federation, OAuth1, application credentials,
limits and revocation events; Keystone's JsonBlob and DateTimeInt TypeDecorators, server
defaults (one a `'<<null>>'` sentinel), 18 composite primary keys, 32 foreign keys, 15 unique
constraints (3 named) and 15 indexes.

Dialects: Keystone supports MySQL/MariaDB and PostgreSQL, and SQLite for its tests; all
three."""

from __future__ import annotations

import importlib

import sqlalchemy as sa
from keystone.common.sql.core import ModelBase

REQUIREMENTS = ["keystone==30.0.0"]
DIALECTS = ["sqlite", "postgresql", "mariadb"]
KIND = "large ORM schema, library TypeDecorators"

_MODULES = [
    "application_credential.backends.sql",
    "assignment.backends.sql",
    "assignment.role_backends.sql_model",
    "catalog.backends.sql",
    "credential.backends.sql",
    "endpoint_policy.backends.sql",
    "federation.backends.sql",
    "identity.backends.sql_model",
    "identity.mapping_backends.sql",
    "limit.backends.sql",
    "oauth1.backends.sql",
    "policy.backends.sql",
    "resource.backends.sql_model",
    "resource.config_backends.sql",
    "revoke.backends.sql",
    "trust.backends.sql",
]
for _name in _MODULES:
    importlib.import_module(f"keystone.{_name}")

metadata = ModelBase.metadata


def seed(conn: sa.Connection) -> None:
    conn.execute(metadata.tables["region"].insert(), [{"id": "RegionOne", "description": "corpus"}])
    conn.execute(
        metadata.tables["service"].insert(),
        [{"id": "svc1", "type": "identity", "enabled": True, "extra": "{}"}],
    )
    conn.execute(
        metadata.tables["role"].insert(),
        [{"id": "r1", "name": "admin", "domain_id": "<<null>>", "extra": "{}"}],
    )
