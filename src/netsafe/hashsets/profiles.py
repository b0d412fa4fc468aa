"""Grading profiles: a region's category codes, their labels, severity, VICS integers and mappings.

A profile is data: one JSON file per profile. The built-in ones live in ``profile_data/`` inside the package;
more are read from every directory in ``NETSAFE_PROFILES_DIR`` (``os.pathsep``-separated) and from
``<user data dir>/profiles``. A file there with the name of a built-in profile replaces it. The schema is
described in docs/hashsets.md.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import platformdirs

from netsafe.hashsets.model import HashSetError

PROFILES_ENV = "NETSAFE_PROFILES_DIR"
DEFAULT_PROFILE = "uk-caid"


class ProfileError(HashSetError):
    """An unknown profile, a malformed profile file, or a category the profile does not know."""


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    label: str
    description: str = ""
    severity: int = 0
    vics: int | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class GradingProfile:
    """A named set of category codes. ``None`` as a code always means uncategorised."""

    name: str
    title: str
    region: str
    categories: tuple[Category, ...]
    description: str = ""
    uncategorised_label: str = "Uncategorised"
    uncategorised_vics: tuple[int, ...] = ()
    map_to: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    map_from: Mapping[str, Mapping[str, str | None]] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    path: str | None = None

    @property
    def codes(self) -> list[str]:
        """Codes in the order the profile file lists them."""
        return [c.code for c in self.categories]

    @property
    def labels(self) -> dict[str, str]:
        """Code -> label, in file order."""
        return {c.code: c.label for c in self.categories}

    @property
    def severity_order(self) -> list[str]:
        """Codes from most to least severe."""
        return [c.code for c in sorted(self.categories, key=lambda c: -c.severity)]

    def category(self, code: str) -> Category:
        for cat in self.categories:
            if cat.code == code:
                return cat
        raise ProfileError(f"profile {self.name}: unknown category {code!r} (known: {', '.join(self.codes)})")

    def has(self, code: str | None) -> bool:
        return code is None or any(c.code == code for c in self.categories)

    def label(self, code: str | None) -> str:
        if code is None:
            return self.uncategorised_label
        return self.category(code).label

    def severity(self, code: str | None) -> int:
        """Higher is more severe; uncategorised ranks below every category (-1)."""
        return -1 if code is None else self.category(code).severity

    def most_severe(self, codes: list[str | None]) -> str | None:
        graded = [c for c in codes if c is not None]
        if not graded:
            return None
        return max(graded, key=self.severity)

    def vics_code(self, code: str | None) -> int | None:
        """The integer written as VICS ``Category``; None means the field is left out (uncategorised)."""
        if code is None:
            return None
        return self.category(code).vics

    def from_vics(self, value: int | None) -> str | None:
        """The code for a VICS ``Category`` integer; None/uncategorised integers give None."""
        if value is None or value in self.uncategorised_vics:
            return None
        for cat in self.categories:
            if cat.vics == value:
                return cat.code
        known = sorted(
            [c.vics for c in self.categories if c.vics is not None] + list(self.uncategorised_vics)
        )
        raise ProfileError(
            f"profile {self.name}: VICS category {value} is not defined (known: {', '.join(map(str, known))})"
        )

    def parse(self, text: str | int | None) -> str | None:
        """A category as lists write it: the code, the label, an alias, or the VICS integer.

        Exact codes win over VICS integers, so vic-us "1" is code "1" and uk-caid "1" is VICS 1 = "A".
        Empty text and the uncategorised label give None.
        """
        if text is None:
            return None
        if isinstance(text, bool):
            raise ProfileError(f"profile {self.name}: not a category: {text!r}")
        if isinstance(text, int):
            return self.from_vics(text)
        raw = text.strip()
        if raw == "":
            return None
        folded = raw.casefold()
        if folded in {self.uncategorised_label.casefold(), "uncategorised", "uncategorized", "none", "null"}:
            return None
        for cat in self.categories:
            if raw == cat.code or folded == cat.code.casefold():
                return cat.code
        for cat in self.categories:
            if folded == cat.label.casefold() or folded in (a.casefold() for a in cat.aliases):
                return cat.code
        try:
            number = int(raw)
        except ValueError:
            number = None
        if number is not None:
            return self.from_vics(number)
        raise ProfileError(
            f"profile {self.name}: unknown category {raw!r} "
            f"(use one of {', '.join(self.codes)}, or leave empty for uncategorised)"
        )

    def mapping_to(self, other: GradingProfile) -> dict[str, str | None]:
        """The explicit code mapping from this profile to ``other``: ours first, else ``other``'s map_from."""
        table = self.map_to.get(other.name)
        if table is None:
            table = other.map_from.get(self.name)
        if table is None:
            raise ProfileError(f"no mapping from profile {self.name} to {other.name}: add one to either file")
        return dict(table)


def _category_from(data: Any, where: str) -> Category:
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: each category must be an object")
    code, label = data.get("code"), data.get("label")
    if not isinstance(code, str) or not code or not isinstance(label, str):
        raise ProfileError(f"{where}: a category needs a non-empty string 'code' and a string 'label'")
    vics = data.get("vics")
    if vics is not None and (not isinstance(vics, int) or isinstance(vics, bool)):
        raise ProfileError(f"{where}: category {code}: 'vics' must be an integer or null")
    severity = data.get("severity", 0)
    if not isinstance(severity, int) or isinstance(severity, bool):
        raise ProfileError(f"{where}: category {code}: 'severity' must be an integer")
    aliases = data.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise ProfileError(f"{where}: category {code}: 'aliases' must be a list of strings")
    return Category(
        code=code,
        label=label,
        description=str(data.get("description", "")),
        severity=severity,
        vics=vics,
        aliases=tuple(aliases),
    )


def _mappings(data: Any, where: str, key: str) -> dict[str, dict[str, str | None]]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: '{key}' must be an object of profile name -> {{code: code or null}}")
    out: dict[str, dict[str, str | None]] = {}
    for other, table in data.items():
        if not isinstance(table, dict) or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in table.items()
        ):
            raise ProfileError(f"{where}: '{key}.{other}' must map codes to codes or null")
        out[str(other)] = dict(table)
    return out


def profile_from_dict(data: Any, where: str = "<profile>") -> GradingProfile:
    """Build and check a profile from its JSON object; raises :class:`ProfileError` naming ``where``."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile file holds one JSON object")
    name, region = data.get("name"), data.get("region")
    if not isinstance(name, str) or not name:
        raise ProfileError(f"{where}: 'name' must be a non-empty string")
    if not isinstance(region, str) or not region or "/" in region:
        raise ProfileError(f"{where}: 'region' must be a non-empty string without '/' (VICS context region)")
    raw_categories = data.get("categories")
    if not isinstance(raw_categories, list) or not raw_categories:
        raise ProfileError(f"{where}: 'categories' must be a non-empty list")
    categories = tuple(_category_from(c, where) for c in raw_categories)
    codes = [c.code for c in categories]
    if len(set(codes)) != len(codes):
        raise ProfileError(f"{where}: duplicate category codes")
    uncategorised = data.get("uncategorised", {})
    if not isinstance(uncategorised, dict):
        raise ProfileError(f"{where}: 'uncategorised' must be an object")
    unc_vics = uncategorised.get("vics", [])
    if not isinstance(unc_vics, list) or not all(isinstance(v, int) for v in unc_vics):
        raise ProfileError(f"{where}: 'uncategorised.vics' must be a list of integers")
    vics = [c.vics for c in categories if c.vics is not None] + list(unc_vics)
    if len(set(vics)) != len(vics):
        raise ProfileError(f"{where}: a VICS integer is used twice")
    map_to = _mappings(data.get("map_to"), where, "map_to")
    for other, table in map_to.items():
        unknown = [code for code in table if code not in codes]
        if unknown:
            raise ProfileError(f"{where}: map_to.{other} maps unknown codes {unknown}")
    notes = data.get("notes", [])
    return GradingProfile(
        name=name,
        title=str(data.get("title", name)),
        region=region,
        categories=categories,
        description=str(data.get("description", "")),
        uncategorised_label=str(uncategorised.get("label", "Uncategorised")),
        uncategorised_vics=tuple(unc_vics),
        map_to=map_to,
        map_from=_mappings(data.get("map_from"), where, "map_from"),
        notes=tuple(str(n) for n in notes) if isinstance(notes, list) else (),
        path=where,
    )


def load_profile_file(path: str | Path) -> GradingProfile:
    where = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise ProfileError(f"{where}: cannot read profile: {err}") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise ProfileError(f"{where}:{err.lineno}: not valid JSON: {err.msg}") from None
    return profile_from_dict(data, where)


def profile_dirs() -> list[Path]:
    """User profile directories, later ones overriding earlier ones."""
    dirs = [Path(platformdirs.user_data_dir("netsafe")) / "profiles"]
    extra = os.environ.get(PROFILES_ENV, "")
    dirs.extend(Path(p) for p in extra.split(os.pathsep) if p)
    return dirs


@lru_cache(maxsize=8)
def _load_all(dirs: tuple[str, ...]) -> dict[str, GradingProfile]:
    found: dict[str, GradingProfile] = {}
    package = resources.files("netsafe.hashsets").joinpath("profile_data")
    for item in sorted(package.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            data = json.loads(item.read_text(encoding="utf-8"))
            profile = profile_from_dict(data, f"netsafe/hashsets/profile_data/{item.name}")
            found[profile.name] = profile
    for directory in dirs:
        path = Path(directory)
        if not path.is_dir():
            continue
        for file in sorted(path.glob("*.json")):
            profile = load_profile_file(file)
            found[profile.name] = profile
    return found


def _profiles() -> dict[str, GradingProfile]:
    return _load_all(tuple(str(d) for d in profile_dirs()))


def available_profiles() -> list[str]:
    return sorted(_profiles())


def load_profile(name: str | GradingProfile) -> GradingProfile:
    if isinstance(name, GradingProfile):
        return name
    profiles = _profiles()
    try:
        return profiles[name]
    except KeyError:
        raise ProfileError(
            f"unknown grading profile {name!r} (available: {', '.join(sorted(profiles))})"
        ) from None


def map_category(
    code: str | None, from_profile: str | GradingProfile, to_profile: str | GradingProfile
) -> str | None:
    """Translate a category code between profiles using the explicit mapping in the profile files.

    None (uncategorised) maps to None. A code the mapping leaves out raises :class:`ProfileError` rather
    than guessing; a code mapped to null becomes uncategorised (a grader in the target scheme must look).
    """
    source, target = load_profile(from_profile), load_profile(to_profile)
    if code is None:
        return None
    source.category(code)
    if source.name == target.name:
        return code
    table = source.mapping_to(target)
    if code not in table:
        raise ProfileError(f"profile {source.name}: category {code!r} has no mapping to {target.name}")
    mapped = table[code]
    if mapped is not None:
        target.category(mapped)
    return mapped
