"""Help that reads as a manual page: flags without a value shown, values as NAME-like words.

Typer 0.29 shows a parameter's Python type in help (``<bool>`` for a flag, ``<list[Path]>``, ``{paths}``
in the usage line): implementation details a first-time user reads as syntax. Each parameter is shown
here the way Click and man pages do: a flag alone, an option with its value (PATH, N, TEXT...), a
required argument in capitals. tests/cli/test_help.py reads every command's help and fails on a
placeholder, so a Typer upgrade that changes these hooks is caught.
"""

from __future__ import annotations

from typing import Any, get_args, get_origin

from typer.core import TyperArgument, TyperOption

# Python type (as annotated on the command's parameter) -> the word help shows for its value.
_WORDS: dict[Any, str] = {int: "N", float: "NUMBER", str: "TEXT"}


def _word(param: TyperOption) -> str | None:
    if param.is_flag or param.count:
        return None
    if param.metavar:
        return str(param.metavar)
    desc = param.type_descriptor
    if desc.is_choice:
        return "[" + "|".join(str(c) for c in desc.choices or ()) + "]"
    if desc.is_path:
        return "PATH"
    annotation: Any = desc.annotation
    if get_origin(annotation) is list:
        (annotation,) = get_args(annotation)
    return _WORDS.get(annotation, "TEXT")


def _option_type(self: TyperOption, ctx: Any) -> str | None:
    return _word(self)


def _argument_type(self: TyperArgument, ctx: Any) -> str | None:
    return None  # the argument's own name says it (SOURCE, PATH): no type beside it


def _argument_name(self: TyperArgument) -> str:
    return str(self.metavar or (self.name or "").upper())


def _argument_usage(self: TyperArgument) -> str:
    name = _argument_name(self)
    if self.nargs != 1:
        name += "..."
    return name if self.required else f"[{name}]"


def install() -> None:
    """Replace Typer's type display for every command (idempotent)."""
    TyperOption.display_type_rich = _option_type  # type: ignore[method-assign]
    TyperArgument.display_type_rich = _argument_type  # type: ignore[method-assign,assignment]
    TyperArgument._usage_display_name = _argument_usage  # type: ignore[method-assign]
    TyperArgument.display_name_raw = property(_argument_name)  # type: ignore[method-assign,assignment]
