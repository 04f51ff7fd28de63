"""Small helpers for the words adopt prints."""

from __future__ import annotations


def counted(number: int, noun: str) -> str:
    """`number` and `noun`, plural unless it is one: "1 way", "3 ways", "0 tables"."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
