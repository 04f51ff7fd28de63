"""MkDocs hook: the CLI reference, generated from adopt's click commands at build time.

Registered under `hooks:` in mkdocs.yml. It does two things:

* In any page, the marker `<!-- adopt:cli-reference -->` is replaced by every command of
  `adopt.cli.cli` (the group first, then each subcommand): its help text, usage line, arguments
  and options with their help, value, default and range. `<!-- adopt:exit-codes -->` is replaced
  by a table made from `adopt.errors.EXIT_CODES`. Nothing is copied by hand, so the reference
  follows the code.
* In every page, each `adopt ...` command line found in code (fenced blocks and inline code) is
  checked against the click commands: an unknown command or an option that the command does not
  take is logged as a warning, which fails `mkdocs build --strict`.

It needs only mkdocs and click (already a dependency of adopt); adopt must be importable.
"""

from __future__ import annotations

import html
import importlib
import inspect
import re
import shlex
from typing import Any

import click
from mkdocs.plugins import get_plugin_logger

log = get_plugin_logger("cli_reference")

REFERENCE_MARKER = "<!-- adopt:cli-reference -->"
EXIT_CODES_MARKER = "<!-- adopt:exit-codes -->"
PROG = "adopt"

_UNSET = getattr(click.core, "UNSET", None)


def _cli() -> tuple[click.Group, str]:
    """The click group and the epilog every command shares (the exit codes, listed once)."""
    module = importlib.import_module("adopt.cli")
    return module.cli, getattr(module, "EXIT_HELP", "")


def _root_context(group: click.Group) -> click.Context:
    # make_context applies the group's context_settings (e.g. -h as a help option).
    return group.make_context(PROG, [], resilient_parsing=True)


def _sub_context(parent: click.Context, name: str, command: click.Command) -> click.Context:
    return command.make_context(name, [], parent=parent, resilient_parsing=True)


def _commands(group: click.Group, ctx: click.Context) -> list[tuple[str, click.Command]]:
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        if command is not None and not command.hidden:
            found.append((name, command))
    return found


# --- rendering ---------------------------------------------------------------------------------


def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _paragraphs(text: str | None) -> list[str]:
    """click help text as paragraphs: dedented, \\b markers dropped, lines joined."""
    if not text:
        return []
    cleaned = inspect.cleandoc(text)
    out = []
    for block in re.split(r"\n\s*\n", cleaned):
        lines = [line for line in block.splitlines() if line.strip() != "\b"]
        if lines:
            out.append(" ".join(line.strip() for line in lines))
    return out


def _is_unset(value: Any) -> bool:
    return (
        value is None
        or (_UNSET is not None and value is _UNSET)
        or (type(value).__name__ == "Sentinel")
    )


def _default(param: click.Parameter, ctx: click.Context) -> str:
    """The default worth showing: not for flags that are off, nor for empty or unset ones."""
    try:
        value = param.get_default(ctx, call=False)
    except TypeError:  # older click: no `call`
        value = param.get_default(ctx)
    if _is_unset(value) or callable(value):
        return ""
    if isinstance(param, click.Option) and param.is_flag:
        if param.secondary_opts:
            on, off = param.opts[0], param.secondary_opts[0]
            return on if value else off
        return "on" if value else ""
    if isinstance(value, tuple | list):
        return " ".join(str(v) for v in value) if value else ""
    return str(value)


def _value(param: click.Parameter, ctx: click.Context) -> str:
    if isinstance(param, click.Option) and (param.is_flag or param.count):
        return ""
    return param.make_metavar(ctx)


def _notes(param: click.Parameter) -> list[str]:
    notes = []
    kind = param.type
    if isinstance(kind, click.IntRange | click.FloatRange):
        low = "" if kind.min is None else str(kind.min)
        high = "" if kind.max is None else str(kind.max)
        notes.append(f"range {low} to {high}")
    if isinstance(kind, click.Choice):
        notes.append("one of " + ", ".join(str(c) for c in kind.choices))
    if getattr(param, "multiple", False) and "repeatable" not in (getattr(param, "help", "") or ""):
        notes.append("repeatable")
    if param.envvar:
        names = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
        notes.append("environment: " + ", ".join(names))
    return notes


def _param_row(param: click.Parameter, ctx: click.Context) -> str:
    if isinstance(param, click.Argument):
        names = f"<code>{_esc(param.make_metavar(ctx))}</code>"
        help_text = ""
    else:
        assert isinstance(param, click.Option)
        names = " / ".join(
            f"<code>{_esc(opt)}</code>" for opt in [*param.opts, *param.secondary_opts]
        )
        help_text = param.help or ""
        if not help_text:
            log.warning(f"option {', '.join(param.opts)} of '{ctx.command_path}' has no help text")
    value = _value(param, ctx)
    value_cell = f"<code>{_esc(value)}</code>" if value else ""
    description = _esc(" ".join(_paragraphs(help_text)))
    notes = _notes(param)
    if notes:
        description += f" <em>({_esc('; '.join(notes))})</em>"
    default = _default(param, ctx)
    default_cell = f"<code>{_esc(default)}</code>" if default else ""
    return (
        f"<tr><td>{names}</td><td>{value_cell}</td><td>{description}</td>"
        f"<td>{default_cell}</td></tr>"
    )


def _command_section(
    command: click.Command, ctx: click.Context, level: int, shared_epilog: str
) -> str:
    path = ctx.command_path
    anchor = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
    parts = [f"{'#' * level} {path} {{#{anchor}}}", ""]
    for paragraph in _paragraphs(command.help):
        parts += [f"<p>{_esc(paragraph)}</p>", ""]
    usage = " ".join([path, *command.collect_usage_pieces(ctx)])
    parts += [f"<pre><code>{_esc(usage)}</code></pre>", ""]
    params = [p for p in command.get_params(ctx) if not getattr(p, "hidden", False)]
    arguments = [p for p in params if isinstance(p, click.Argument)]
    options = [p for p in params if isinstance(p, click.Option)]
    for title, group in (("Arguments", arguments), ("Options", options)):
        if not group:
            continue
        rows = "\n".join(_param_row(p, ctx) for p in group)
        parts += [
            f"<p><strong>{title}</strong></p>",
            "",
            '<table class="cli-options">',
            "<thead><tr><th>Name</th><th>Value</th><th>Description</th><th>Default</th></tr>"
            "</thead>",
            f"<tbody>\n{rows}\n</tbody>",
            "</table>",
            "",
        ]
    if command.epilog and command.epilog != shared_epilog:
        for paragraph in _paragraphs(command.epilog):
            parts += [f"<p>{_esc(paragraph)}</p>", ""]
    return "\n".join(parts)


def render_reference() -> str:
    group, shared_epilog = _cli()
    ctx = _root_context(group)
    sections = [_command_section(group, ctx, 3, shared_epilog)]
    commands = _commands(group, ctx)
    summary = ["<p><strong>Commands</strong></p>", "", "<ul>"]
    for name, command in commands:
        anchor = re.sub(r"[^a-z0-9]+", "-", f"{PROG} {name}")
        short = _esc(command.get_short_help_str(limit=120))
        summary.append(f'<li><a href="#{anchor}"><code>{PROG} {name}</code></a>: {short}</li>')
    summary += ["</ul>", ""]
    sections.append("\n".join(summary))
    for name, command in commands:
        sections.append(
            _command_section(command, _sub_context(ctx, name, command), 3, shared_epilog)
        )
    return "\n\n".join(sections)


def render_exit_codes() -> str:
    codes = importlib.import_module("adopt.errors").EXIT_CODES
    rows = ["| Code | Meaning |", "| ---: | --- |"]
    rows += [f"| `{code}` | {text} |" for code, text in sorted(codes.items())]
    return "\n".join(rows)


# --- checking the commands quoted in the pages -------------------------------------------------

_FENCE = re.compile(r"^(?P<fence>```|~~~)[^\n]*\n(?P<body>.*?)^(?P=fence)\s*$", re.S | re.M)
_INLINE = re.compile(r"(?<!`)`([^`\n]+)`(?!`)")
# `adopt` (or a path ending in /adopt) at the start of a shell line, after a YAML `run:` or
# list dash, a prompt, or a shell operator; then whitespace or the end.
_START = re.compile(
    r"(?:^|&&|\|\||;|\$\(|^\s*(?:\$|-|run:|script:))\s*(?:[\w./-]*/)?adopt(?=\s|$)", re.M
)
_STOP = {"|", "||", "&&", ";", ">", ">>", "2>", "2>&1", "&", ")", "<"}


def _options_of(command: click.Command, ctx: click.Context) -> dict[str, click.Option]:
    found: dict[str, click.Option] = {}
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            for opt in [*param.opts, *param.secondary_opts]:
                found[opt] = param
    return found


def _takes_value(option: click.Option) -> bool:
    return not (option.is_flag or option.count)


def _placeholder(token: str) -> bool:
    # COMMAND, URL, TARGET..., [ARGS], ...: written for the reader, not literal.
    bare = token.strip("[].")
    return not bare or bare.isupper() or token.endswith("...") or token == "…"


def check_command(tokens: list[str]) -> list[str]:
    """Problems with one `adopt ...` command line (tokens after 'adopt')."""
    group, _ = _cli()
    ctx = _root_context(group)
    command: click.Command = group
    command_ctx = ctx
    problems = []
    skip = False
    positional_ok = False
    for token in tokens:
        if token in _STOP:
            break
        if skip:
            skip = False
            continue
        if token.startswith("-") and token != "-":
            name = token.split("=", 1)[0]
            option = _options_of(command, command_ctx).get(name)
            if option is None:
                problems.append(f"'{command_ctx.command_path}' has no option {name}")
                continue
            skip = _takes_value(option) and "=" not in token
            continue
        if command is group:
            sub = group.get_command(ctx, token)
            if sub is None:
                if not _placeholder(token):
                    problems.append(f"'adopt' has no command '{token}'")
                break
            command, command_ctx = sub, _sub_context(ctx, token, sub)
            positional_ok = any(isinstance(p, click.Argument) for p in sub.get_params(command_ctx))
            continue
        if not positional_ok and not _placeholder(token):
            problems.append(f"'{command_ctx.command_path}' takes no argument '{token}'")
    return problems


def _command_lines(markdown: str) -> list[str]:
    lines = []
    for match in _FENCE.finditer(markdown):
        body = re.sub(r"\\\n\s*", " ", match.group("body"))  # shell line continuations
        lines.extend(body.splitlines())
    outside = _FENCE.sub("", markdown)
    lines.extend(m.group(1) for m in _INLINE.finditer(outside))
    return lines


def check_page(markdown: str) -> list[str]:
    problems = []
    for line in _command_lines(markdown):
        for start in _START.finditer(line):
            rest = line[start.end() :]
            try:
                lexer = shlex.shlex(rest, posix=True, punctuation_chars=";&|<>")
                lexer.whitespace_split = True
                lexer.commenters = "#"
                tokens = list(lexer)
            except ValueError:
                continue  # unbalanced quotes: prose, not a command
            problems += [f"{p} (in: adopt{rest})" for p in check_command(tokens)]
    return problems


# --- MkDocs events ---------------------------------------------------------------------------


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    if REFERENCE_MARKER in markdown:
        markdown = markdown.replace(REFERENCE_MARKER, render_reference())
    if EXIT_CODES_MARKER in markdown:
        markdown = markdown.replace(EXIT_CODES_MARKER, render_exit_codes())
    for problem in check_page(markdown):
        log.warning(f"{page.file.src_uri}: {problem}")
    return markdown
