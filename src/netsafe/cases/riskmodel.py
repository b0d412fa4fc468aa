"""The risk model as data: levels with response targets, factors in steps, and rules over the answers.

A model is a JSON file checked against the schema below (pydantic); a force loads its own by naming it in
``NETSAFE_RISK_MODEL``, otherwise the default shipped beside this module (``default_model.json``) is in
force. A file that does not fit is refused with one line naming the file, the line and the field.
``docs/cases.md`` documents the schema and the published sources of the default model's factors.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, model_validator

from netsafe.cases.jsonlines import line_for, value_lines
from netsafe.errors import InvalidInput

MODEL_ENV = "NETSAFE_RISK_MODEL"
FORMAT = "netsafe-risk-model"
DEFAULT_FILE = "default_model.json"
MAX_MODEL_BYTES = 1 << 20  # a model is a few kB; a megabyte is not a model
MAX_DEPTH = 8  # nesting of conditions within a rule

Ident = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,47}$")]
Text = Annotated[str, Field(min_length=1, max_length=300)]


class RiskModelError(InvalidInput, ValueError):
    """A model file that cannot be used as it stands."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Level(_Strict):
    id: Ident
    label: Text
    target_days: int = Field(ge=0, le=3650, description="days from the referral's receipt to act by")


class Step(_Strict):
    id: Ident
    title: Text


class Factor(_Strict):
    id: Ident
    step: Ident
    question: Text
    phrase: Text = Field(description="the factor in a reason's words, e.g. 'lives with a child'")
    sources: list[Text] = Field(default_factory=list, max_length=20)


class AnyOf(_Strict):
    any: list[Condition] = Field(min_length=1, max_length=50)
    label: Text | None = None


class All(_Strict):
    all: list[Condition] = Field(min_length=1, max_length=50)
    label: Text | None = None


class AtLeast(_Strict):
    at_least: int = Field(ge=1, le=50)
    of: list[Condition] = Field(min_length=1, max_length=50)
    label: Text | None = None

    @model_validator(mode="after")
    def _reachable(self) -> AtLeast:
        if self.at_least > len(self.of):
            raise ValueError(f"at_least {self.at_least} of {len(self.of)} conditions can never hold")
        return self


def _kind(value: Any) -> str | None:
    if isinstance(value, str):
        return "Factor"
    if isinstance(value, dict | BaseModel):
        keys = value.keys() if isinstance(value, dict) else type(value).model_fields.keys()
        for key, tag in (("any", "Any"), ("all", "All"), ("at_least", "AtLeast")):
            if key in keys:
                return tag
    return None


# A factor's id (answered yes), or a group of conditions. The tags are capitalised so that an error's
# location can tell them from the file's own (lower-case) keys.
TAGS = frozenset({"Factor", "Any", "All", "AtLeast"})
Condition = Annotated[
    Annotated[Ident, Tag("Factor")]
    | Annotated[AnyOf, Tag("Any")]
    | Annotated[All, Tag("All")]
    | Annotated[AtLeast, Tag("AtLeast")],
    Discriminator(
        _kind,
        custom_error_type="condition",
        custom_error_message="a condition is a factor's id or an object with any, all or at_least",
    ),
]


class Rule(_Strict):
    id: Ident
    level: Ident
    when: Condition


class RiskModel(_Strict):
    format: Literal["netsafe-risk-model"]
    version: Literal[1]
    name: Text
    description: str = Field(default="", max_length=2000)
    levels: list[Level] = Field(min_length=1, max_length=10, description="highest risk first")
    default_level: Ident = Field(description="the level when no rule holds")
    steps: list[Step] = Field(min_length=1, max_length=20)
    factors: list[Factor] = Field(min_length=1, max_length=100)
    rules: list[Rule] = Field(max_length=200, description="tried in order: the first that holds decides")

    # --- lookups -------------------------------------------------------------------------------------

    def level(self, level_id: str) -> Level:
        return next(x for x in self.levels if x.id == level_id)

    def rank(self, level_id: str) -> int:
        """0 for the highest level."""
        return next(n for n, x in enumerate(self.levels) if x.id == level_id)

    def factor(self, factor_id: str) -> Factor | None:
        return next((x for x in self.factors if x.id == factor_id), None)

    def summary(self) -> dict[str, Any]:
        """What ``netsafe case model show`` prints: factors, levels (with targets), rules."""
        return {
            "name": self.name,
            "format": self.format,
            "version": self.version,
            "factors": [{"id": f.id, "step": f.step, "question": f.question} for f in self.factors],
            "levels": {x.id: {"label": x.label, "target_days": x.target_days} for x in self.levels},
            "default_level": self.default_level,
            "rules": [r.model_dump(exclude_none=True) for r in self.rules],
        }


class _InconsistentError(InvalidInput, ValueError):
    """Internal: turned into a RiskModelError with the line of its path before anyone sees it."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path


def _check_references(model: RiskModel) -> None:
    """What the schema cannot say: ids are unique and every reference names something that exists."""
    for what in ("levels", "steps", "factors", "rules"):
        seen: set[str] = set()
        for n, item in enumerate(getattr(model, what)):
            if item.id in seen:
                raise _InconsistentError((what, n, "id"), f"id {item.id!r} is given twice in {what}")
            seen.add(item.id)
    levels = {x.id for x in model.levels}
    steps = {x.id for x in model.steps}
    factors = {x.id for x in model.factors}
    if model.default_level not in levels:
        raise _InconsistentError(("default_level",), f"{model.default_level!r} is not one of the levels")
    for n, factor in enumerate(model.factors):
        if factor.step not in steps:
            raise _InconsistentError(("factors", n, "step"), f"{factor.step!r} is not one of the steps")
    for n, rule in enumerate(model.rules):
        if rule.level not in levels:
            raise _InconsistentError(("rules", n, "level"), f"{rule.level!r} is not one of the levels")
        _check_condition(rule.when, ("rules", n, "when"), factors, 0)


def _check_condition(cond: Condition, path: tuple[str | int, ...], factors: set[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _InconsistentError(path, f"conditions nested deeper than {MAX_DEPTH}")
    if isinstance(cond, str):
        if cond not in factors:
            raise _InconsistentError(path, f"unknown factor {cond!r}")
        return
    key = "any" if isinstance(cond, AnyOf) else "all" if isinstance(cond, All) else "of"
    for n, part in enumerate(getattr(cond, key)):
        _check_condition(part, (*path, key, n), factors, depth + 1)


AnyOf.model_rebuild()
All.model_rebuild()
AtLeast.model_rebuild()
Rule.model_rebuild()


# --- loading ---------------------------------------------------------------------------------------------


class LoadedModel:
    """A checked model with the digest of the text it came from (an assessment records both)."""

    def __init__(self, model: RiskModel, digest: str, origin: str) -> None:
        self.model = model
        self.digest = digest
        self.origin = origin  # "default" or the file's name (never its path)


def parse_model(text: str | bytes, name: str = "model") -> LoadedModel:
    """Check ``text`` as a model; :class:`RiskModelError` names ``name``, the line and the field."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text
    if len(raw) > MAX_MODEL_BYTES:
        raise RiskModelError(f"{name}: {len(raw):,} bytes is too large for a risk model (at most 1 MB)")
    try:
        decoded = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise RiskModelError(f"{name}: not UTF-8 text (byte {err.start})") from None
    try:
        data = json.loads(decoded)
    except json.JSONDecodeError as err:
        raise RiskModelError(f"{name}:{err.lineno}: not valid JSON: {err.msg} (column {err.colno})") from None
    except RecursionError:
        raise RiskModelError(f"{name}: nested too deeply to be a risk model") from None
    try:
        model = RiskModel.model_validate(data)
        _check_references(model)
    except ValidationError as err:
        problem = err.errors()[0]
        loc = _clean_loc(tuple(problem.get("loc", ())))
        reason = str(problem.get("msg", "invalid")).removeprefix("Value error, ")
        shown = problem.get("input")
        got = f" (got {json.dumps(shown)[:60]})" if isinstance(shown, str | int | float | bool) else ""
        raise RiskModelError(_located(decoded, name, loc, reason + got)) from None
    except _InconsistentError as err:
        raise RiskModelError(_located(decoded, name, err.path, str(err))) from None
    except RecursionError:
        raise RiskModelError(f"{name}: nested too deeply to be a risk model") from None
    return LoadedModel(model, hashlib.sha256(raw).hexdigest(), name)


def _located(text: str, name: str, loc: tuple[str | int, ...], reason: str) -> str:
    """``FILE:LINE: field: reason`` on one line, the line being where the field (or its object) is."""
    try:
        line = line_for(value_lines(text), loc)
    except (ValueError, IndexError, RecursionError):  # the text parsed, so this is not expected
        line = None
    where = f"{name}:{line}" if line is not None else name
    return " ".join(f"{where}: {_field_text(loc) or 'the model'}: {reason}".split())


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # pydantic names the member of a tagged union it tried: not a key of the file.
    return tuple(part for part in loc if not (isinstance(part, str) and part in TAGS))


def _field_text(loc: tuple[str | int, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def load_model_file(path: str | Path) -> LoadedModel:
    file = Path(path)
    try:
        with file.open("rb") as fh:
            raw = fh.read(MAX_MODEL_BYTES + 1)
    except OSError as err:
        raise RiskModelError(f"{file.name}: cannot read the risk model: {err.strerror}") from None
    return parse_model(raw, file.name)


@functools.cache
def default_model() -> LoadedModel:
    raw = resources.files("netsafe.cases").joinpath(DEFAULT_FILE).read_bytes()
    loaded = parse_model(raw, DEFAULT_FILE)
    return LoadedModel(loaded.model, loaded.digest, "default")


def model_in_force() -> LoadedModel:
    """The force's model named by ``NETSAFE_RISK_MODEL``, or the default. Every queue read asks, so a file
    is parsed again only when it changed (a force may replace it while the service runs)."""
    path = os.environ.get(MODEL_ENV, "").strip()
    if not path:
        return default_model()
    try:
        stat = os.stat(path)
    except OSError:
        return load_model_file(path)  # the one-line error of a file that cannot be read
    return _cached_file(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=4)
def _cached_file(path: str, _mtime_ns: int, _size: int) -> LoadedModel:
    return load_model_file(path)
