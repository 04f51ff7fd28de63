"""Reading databases: connections, the schema snapshot, the server's catalog definitions, the names
the server gave, fingerprints, and alembic_version."""
