"""A library type in a package whose name starts with "sqlalchemy" without being SQLAlchemy
(as sqlalchemy_utils is): the baseline must import it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


class Code(sa.types.TypeDecorator[str]):
    impl = sa.String
    cache_ok = True

    def __init__(self, length: int = 12, **kw: Any) -> None:
        super().__init__(length=length, **kw)
        self.length = length

    def __repr__(self) -> str:
        return f"Code(length={self.length})"


class Tagged(sa.types.TypeDecorator[str]):
    """A type whose repr writes a nested type bare, as SQLAlchemy's generic repr does."""

    impl = sa.String
    cache_ok = True

    def __init__(self, inner: Any = None, length: int = 12) -> None:
        super().__init__(length=length)
        self.inner = inner if inner is not None else sa.Text()
        self.length = length

    def __repr__(self) -> str:
        return f"Tagged(inner={self.inner!r}, length={self.length})"
