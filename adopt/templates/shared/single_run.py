def run_migrations_offline():
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, **_configure_args()
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    args = _online_args()
    given = config.attributes.get("connection")
    # A caller may hand over its connection (adopt does), or an engine (pytest-alembic does).
    if given is not None and not isinstance(given, Engine):
        _run(given, args)
        return
    with (given or _engine()).connect() as connection:
        _run(connection, args)


def _run(connection, args):
    context.configure(connection=connection, target_metadata=target_metadata, **args)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
