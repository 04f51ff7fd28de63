def _extension():
    # Flask-Migrate's extension when the app registers it, else Flask-SQLAlchemy's.
    return current_app.extensions.get("migrate") or current_app.extensions["sqlalchemy"]


def _db():
    ext = _extension()
    return getattr(ext, "db", ext)
