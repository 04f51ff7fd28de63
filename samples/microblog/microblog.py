"""Entry point for `flask --app microblog ...`."""

from app import create_app
from app import db

app = create_app()

__all__ = ["app", "db"]
