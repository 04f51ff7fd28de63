def _include_name(schemas):
    def include_name(object_name, type_, parent_names):
        # The default schema and the schemas this database's models use, never the
        # unmanaged tables ("schema.table" outside the default schema).
        if type_ == "schema":
            return object_name is None or object_name in schemas
        if type_ == "table":
            schema = parent_names.get("schema_name")
            qualified = f"{schema}.{object_name}" if schema else object_name
            return qualified not in UNMANAGED_TABLES
        return True

    return include_name


def _model_schemas(metadata):
    return {t.schema for t in metadata.tables.values() if t.schema} if metadata else set()


def run_migrations_offline():
    # One SQL file per database, named after it ("" is the default database: .sql).
    for name in _names():
        with open(f"{name}.sql", "w") as buffer:
            context.configure(
                url=_url(name), output_buffer=buffer, literal_binds=True, **_configure_args(name)
            )
            with context.begin_transaction():
                context.run_migrations(engine_name=name)


def run_migrations_online():
    given = config.attributes.get("connection")
    if given is not None:  # adopt: it hands each database's configure() its own connection
        for name in _names():
            context.configure(connection=given, **_configure_args(name))
            context.run_migrations(engine_name=name)
        return
    # Every database in one transaction each, committed together at the end.
    open_ = {}
    try:
        for name in _names():
            connection = _connect(name)
            open_[name] = (connection, connection.begin())
        for name, (connection, _transaction) in open_.items():
            logger.info("Migrating database %s", name or "<default>")
            context.configure(connection=connection, **_online_args(name))
            context.run_migrations(engine_name=name)
        for _connection, transaction in open_.values():
            transaction.commit()
    except BaseException:
        for _connection, transaction in open_.values():
            transaction.rollback()
        raise
    finally:
        for connection, _transaction in open_.values():
            connection.close()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
