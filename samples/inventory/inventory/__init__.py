"""Inventory sample: a plain SQLAlchemy 2 declarative project (no Flask)."""
