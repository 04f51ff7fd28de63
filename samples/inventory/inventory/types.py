"""Custom column types used by the inventory models."""

from __future__ import annotations

from decimal import ROUND_HALF_UP
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric
from sqlalchemy import String
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

CENTS = Decimal("0.01")


class Money(TypeDecorator[Decimal]):
    """Amount of money stored as NUMERIC(12, 2), always handed back as a Decimal."""

    impl = Numeric(12, 2)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        # str() first so floats such as 0.1 do not drag binary noise along.
        return Decimal(str(value)).quantize(CENTS, rounding=ROUND_HALF_UP)

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        return Decimal(str(value)).quantize(CENTS, rounding=ROUND_HALF_UP)


class Slug(TypeDecorator[str]):
    """URL slug stored as VARCHAR(80); normalised to lower case on the way in."""

    impl = String(80)
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else value.strip().lower()
