"""A risk model applied to one set of answers: the level, the rule path in words, and the gaps.

Only "yes" makes a condition hold. "Unknown" (or a factor not answered) is never read as "no": it is a gap,
and each gap says which higher level a "yes" there would give, so the person assessing knows what to find
out first.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from netsafe.cases.riskmodel import All, AnyOf, AtLeast, Condition, RiskModel
from netsafe.errors import InvalidInput


class Answer(StrEnum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class AnswerError(InvalidInput, ValueError):
    pass


def parse_answer(text: str) -> Answer:
    try:
        return Answer(text.strip().lower())
    except ValueError:
        raise AnswerError(f"answer {text[:20]!r}: use yes, no or unknown") from None


@dataclass(slots=True)
class Gap:
    factor: str
    question: str
    could_raise_to: str | None  # the level's label a "yes" here would give, when higher than now

    def as_dict(self) -> dict[str, Any]:
        return {"factor": self.factor, "question": self.question, "could_raise_to": self.could_raise_to}


@dataclass(slots=True)
class Outcome:
    level: str
    level_label: str
    rule: str | None  # the rule that decided, None for the model's default level
    reasons: list[str]
    gaps: list[Gap] = field(default_factory=list)

    def deadline(self, model: RiskModel, received: date) -> date:
        return received + timedelta(days=model.level(self.level).target_days)


def check_answers(model: RiskModel, answers: Mapping[str, Answer]) -> None:
    for name in answers:
        if model.factor(name) is None:
            known = ", ".join(f.id for f in model.factors)
            raise AnswerError(f"unknown factor {name[:60]!r}: the model in force has {known}")


def assess(model: RiskModel, answers: Mapping[str, Answer]) -> Outcome:
    """The first rule that holds on the "yes" answers decides; none holding gives the default level."""
    check_answers(model, answers)
    yes = {name for name, a in answers.items() if a is Answer.YES}
    outcome = _decide(model, yes)
    rank = model.rank(outcome.level)
    for factor in model.factors:
        if answers.get(factor.id, Answer.UNKNOWN) is not Answer.UNKNOWN:
            continue
        higher = _decide(model, yes | {factor.id})
        raised = model.rank(higher.level) < rank
        outcome.gaps.append(Gap(factor.id, factor.question, higher.level_label if raised else None))
    return outcome


def _decide(model: RiskModel, yes: set[str]) -> Outcome:
    for rule in model.rules:
        if _holds(rule.when, yes):
            level = model.level(rule.level)
            words = _words(model, rule.when, yes)
            reasons = [f"{level.label}: {words} (rule {rule.id})"]
            used = _used(rule.when, yes)
            others = [model.factor(n) for n in sorted(yes - used)]
            if others:
                reasons.append("also yes, not deciding: " + _join([f.phrase for f in others if f], "and"))
            return Outcome(level.id, level.label, rule.id, reasons)
    level = model.level(model.default_level)
    if yes:
        phrases = [f.phrase for f in model.factors if f.id in yes]
        why = f"no rule holds for what was answered yes ({_join(phrases, 'and')})"
    else:
        why = "no factor answered yes"
    return Outcome(level.id, level.label, None, [f"{level.label}: {why} (the model's default level)"])


def _holds(cond: Condition, yes: set[str]) -> bool:
    if isinstance(cond, str):
        return cond in yes
    if isinstance(cond, AnyOf):
        return any(_holds(c, yes) for c in cond.any)
    if isinstance(cond, All):
        return all(_holds(c, yes) for c in cond.all)
    assert isinstance(cond, AtLeast)
    return sum(_holds(c, yes) for c in cond.of) >= cond.at_least


def _used(cond: Condition, yes: set[str]) -> set[str]:
    """The factors answered yes that make ``cond`` hold (all of them, for a group that holds)."""
    if isinstance(cond, str):
        return {cond} & yes
    parts = cond.any if isinstance(cond, AnyOf) else cond.all if isinstance(cond, All) else cond.of
    return {name for part in parts if _holds(part, yes) for name in _used(part, yes)}


def _words(model: RiskModel, cond: Condition, yes: set[str]) -> str:
    """A condition that holds, in words: the parts that hold, inside the group's label if it has one."""
    if isinstance(cond, str):
        factor = model.factor(cond)
        return factor.phrase if factor else cond
    if isinstance(cond, All):
        inner = _join([_words(model, c, yes) for c in cond.all], "and")
    elif isinstance(cond, AnyOf):
        inner = _join([_words(model, c, yes) for c in cond.any if _holds(c, yes)], "and")
    else:
        held = [_words(model, c, yes) for c in cond.of if _holds(c, yes)]
        inner = f"{len(held)} of {len(cond.of)}: {_join(held, 'and')}"
    return f"{cond.label} ({inner})" if cond.label else inner


def _join(parts: list[str], word: str) -> str:
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + f" {word} " + parts[-1]
