"""Stamping: each target checked against the revisions' schemas, then alembic_version written under
a lock, with the audit trail; and undoing a stamp."""
