"""The only module that talks to questionary: the wizard's Prompter on a real terminal
(or on prompt_toolkit pipe input in tests)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click
import questionary

from adopt.wizard import Choice


class QuestionaryPrompter:
    """Asks with questionary; Ctrl-C raises KeyboardInterrupt (unsafe_ask), never returns None."""

    def __init__(self, input: Any = None, output: Any = None) -> None:
        self._io: dict[str, Any] = {}
        if input is not None:
            self._io["input"] = input
        if output is not None:
            self._io["output"] = output

    def confirm(self, message: str, default: bool = True) -> bool:
        return bool(questionary.confirm(message, default=default, **self._io).unsafe_ask())

    def select(self, message: str, choices: list[Choice], default: str | None = None) -> str:
        options = [questionary.Choice(title=c.title, value=c.value) for c in choices]
        start = next((o for o in options if o.value == default), None)
        answer = questionary.select(
            message, choices=options, default=start, **self._io
        ).unsafe_ask()
        return str(answer)

    def text(self, message: str, default: str = "") -> str:
        return str(questionary.text(message, default=default, **self._io).unsafe_ask())

    def secret(self, message: str) -> str:
        """Asked without echo (a password)."""
        return str(questionary.password(message, **self._io).unsafe_ask())

    def edit(self, path: Path) -> None:
        editor = os.environ.get("VISUAL") or os.environ.get("EDITOR")
        click.edit(filename=str(path), editor=editor)
