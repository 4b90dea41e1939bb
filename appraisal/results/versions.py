"""Published results versions (Art. 16–18): what was published, when, by whom and why.

Publication freezes the results as they were decided: `version_write` stores a snapshot of every
figure the pages show (the engine's YearResults, Decimals as strings), the scoring settings and
the SHA-256 of the year bundle they were computed from. Everyone outside the Office, the Leading
Group and the auditors reads the current version (`published`), never a live recompute, so an
approved correction changes nothing they see until the Leading Group approves its
republication. Each later version records the correction and its reason; `diff` names every
figure that changed between two versions (old → new, per unit).

The bundle hash: `bundle_sha256` hashes the canonical bytes of `files.bundle.export_bundle(year)` —
UTF-8 JSON with sorted keys and no whitespace (`canonical_bytes`), the same canonical form as
the audit trail's hashes. Importing an exported bundle elsewhere and exporting it again gives
the same bytes, so anyone holding the bundle can check which inputs a version came from.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .. import domain, policies
from ..models import AssessmentYear, ResultsVersion
from .compute import Computed

FORMAT = "rectify-results-version/1"


# ---------------------------------------------------------------- canonical bytes and hashes


def canonical_bytes(data: Any) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace: the bytes a hash is taken of."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256(data: Any) -> str:
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def settings_used(year: AssessmentYear) -> dict:
    """The year's scoring settings as a version stores them: as the bundle writes them."""
    from ..files.bundle import export_settings

    return export_settings(year)


def bundle_sha256(year: AssessmentYear) -> str:
    """SHA-256 of the canonical bytes of the year bundle (year-bundle.md)."""
    from ..files.bundle import export_bundle

    return sha256(export_bundle(year))


# ---------------------------------------------------------------- the engine's results as JSON


def _dump(value: Any) -> Any:
    """Domain dataclasses and named tuples → JSON: Decimals as strings, times in ISO-8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return {name: _dump(getattr(value, name)) for name in value._fields}
    if isinstance(value, (tuple, list)):
        return [_dump(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _load(hint: Any, value: Any) -> Any:
    """JSON → the type the domain declares (`hint`), the inverse of `_dump`."""
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return _load(inner, value)
    if origin is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_load(args[0], v) for v in value)
        return tuple(_load(a, v) for a, v in zip(args, value, strict=True))
    if hint is Decimal:
        return Decimal(value)
    if hint is datetime:
        # an adjustment's date is a date although the engine types it as a time
        return date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(hint, type) and (dataclasses.is_dataclass(hint) or hasattr(hint, "_fields")):
        hints = _hints(hint)
        return hint(**{name: _load(hints[name], v) for name, v in value.items()})
    return value


def figures_document(
    results: domain.YearResults,
    *,
    unit_pks: dict[str, int],
    comprehensive_given,
    claim_index: dict[int, int],
    categories: list[dict],
) -> dict:
    """Everything the results pages show of a year, as JSON (pure)."""
    return {
        "format": FORMAT,
        "results": _dump(results),
        "unit_pks": dict(unit_pks),
        "comprehensive_given": sorted(comprehensive_given),
        "claim_index": {str(k): v for k, v in claim_index.items()},
        "categories": categories,
    }


def snapshot(computed: Computed) -> dict:
    """The figures of `compute(year)` (with every unit's details) as stored in a version."""
    return figures_document(
        computed.results,
        unit_pks={code: u.unit_id for code, u in computed.units.items()},
        comprehensive_given=computed.comprehensive_given,
        claim_index=computed.claim_index,
        categories=[
            {"pk": c.pk, "code": c.code, "name": c.name, "max_points": str(c.max_points)}
            for c in computed.categories
        ],
    )


def load_results(figures: dict) -> domain.YearResults:
    return _load(domain.YearResults, figures["results"])


@dataclass(frozen=True)
class StoredUnit:
    """What the pages read of an assessed unit (AssessedUnit's code, name and unit_id)."""

    code: str
    name: str
    unit_id: int


@dataclass(frozen=True)
class StoredCategory:
    pk: int
    code: str
    name: str
    max_points: Decimal


def computed_of(version: ResultsVersion) -> Computed:
    """The published figures in the shape of `results.compute()`, for the same pages."""
    figures = version.figures
    results = load_results(figures)
    names = {u.unit_id: u.name for u in results.units}
    return Computed(
        year=version.year,
        results=results,
        units={
            code: StoredUnit(code=code, name=names.get(code, code), unit_id=pk)
            for code, pk in figures["unit_pks"].items()
        },
        comprehensive_given=frozenset(figures["comprehensive_given"]),
        claim_index={int(k): v for k, v in figures["claim_index"].items()},
        categories=tuple(
            StoredCategory(
                pk=c["pk"], code=c["code"], name=c["name"], max_points=Decimal(c["max_points"])
            )
            for c in figures["categories"]
        ),
    )


# ---------------------------------------------------------------- what changed (pure)


@dataclass(frozen=True)
class FigureChange:
    key: str  # "rank", "total", "category:LZ", "indicator:LZ-01", …
    old: Any
    new: Any
    label: str = ""

    @property
    def old_text(self) -> str:
        return show(self.old)

    @property
    def new_text(self) -> str:
        return show(self.new)


@dataclass(frozen=True)
class UnitChange:
    unit: str
    name: str
    figures: tuple[FigureChange, ...]


SCALARS = (
    "rank",
    "bottom_position",
    "claim_points",
    "bonus",
    "performance",
    "satisfaction",
    "total",
    "comprehensive_adjustment",
)
GIVEN = ("comprehensive", "adjusted", "grade")  # only with a comprehensive entry
FLAGS = ("penalised", "veto_applied", "advanced_withdrawn", "secretary_not_eligible")


def flatten(figures: dict) -> dict[str, tuple[str, dict[str, Any]]]:
    """unit code → (name, {figure: value}) of every figure a unit's result consists of."""
    given = set(figures.get("comprehensive_given", ()))
    out = {}
    for unit in figures["results"]["units"]:
        code = unit["unit_id"]
        flat: dict[str, Any] = {}
        for key in SCALARS:
            flat[key] = unit.get(key)
        for kind in ("debriefing", "democratic"):
            flat[kind] = (unit.get(kind) or {}).get("score")
        for key in GIVEN:
            flat[key] = unit.get(key) if code in given else None
        for key in FLAGS:
            flat[f"flag:{key}"] = (unit.get("flags") or {}).get(key)
        for cat in unit.get("categories", ()):
            flat[f"category:{cat['code']}"] = cat.get("score")
            for ind in cat.get("indicators", ()):
                flat[f"indicator:{ind['code']}"] = ind.get("score")
        out[code] = (unit.get("name", code), flat)
    return out


def _names(figures: dict) -> dict[str, str]:
    """Category and indicator code → name, as the figures give them."""
    names = {c["code"]: c["name"] for c in figures.get("categories", ())}
    for unit in figures["results"]["units"][:1]:
        for cat in unit.get("categories", ()):
            for ind in cat.get("indicators", ()):
                names[ind["code"]] = f"{ind['code']} {ind.get('name', '')}".strip()
    return names


def diff(old: dict, new: dict) -> list[UnitChange]:
    """Every figure that differs between two stored figure documents, unit by unit (in unit
    code order); a unit present in one only shows its figures against None. An indicator's
    score is compared only where both list it (the ranking computes no indicator details)."""
    before, after = flatten(old), flatten(new)
    names = {**_names(old), **_names(new)}
    changes = []
    for code in sorted(before.keys() | after.keys()):
        name_old, was = before.get(code, ("", {}))
        name_new, now = after.get(code, ("", {}))
        keys = was.keys() | now.keys()
        if was and now:
            keys = {k for k in keys if not k.startswith("indicator:") or (k in was and k in now)}
        figures = tuple(
            FigureChange(
                key=key, old=was.get(key), new=now.get(key), label=figure_label(key, names)
            )
            for key in sorted(keys, key=_figure_order)
            if was.get(key) != now.get(key)
        )
        if figures:
            changes.append(UnitChange(unit=code, name=name_new or name_old, figures=figures))
    return changes


ORDER = (
    "rank",
    "bottom_position",
    "total",
    "performance",
    "claim_points",
    "bonus",
    "debriefing",
    "democratic",
    "satisfaction",
    "comprehensive",
    "comprehensive_adjustment",
    "adjusted",
    "grade",
)


def _figure_order(key: str) -> tuple:
    """The result first, then the categories, the indicators and the flags."""
    kind = key.split(":", 1)[0]
    group = {"category": 1, "indicator": 2, "flag": 3}.get(kind, 0)
    return (group, ORDER.index(key) if key in ORDER else len(ORDER), key)


def figure_label(key: str, categories: dict[str, str]) -> str:
    """A figure's name for people (`categories`: category and indicator code → name)."""
    kind, _sep, code = key.partition(":")
    if kind in ("category", "indicator"):
        return categories.get(code, code)
    labels = {
        "rank": _("Rank"),
        "bottom_position": _("Bottom position"),
        "claim_points": _("Counted claim points"),
        "bonus": _("Bonus"),
        "performance": _("Performance"),
        "debriefing": _("Debriefing appraisal"),
        "democratic": _("Democratic evaluation"),
        "satisfaction": _("Satisfaction"),
        "total": _("Total"),
        "comprehensive": _("Comprehensive evaluation"),
        "comprehensive_adjustment": _("Comprehensive adjustment"),
        "adjusted": _("Adjusted comprehensive"),
        "grade": _("Grade"),
        "flag:penalised": _("Excellence veto"),
        "flag:veto_applied": _("Grade lowered"),
        "flag:advanced_withdrawn": _("Advanced withdrawn"),
        "flag:secretary_not_eligible": _("Secretary not eligible for excellent"),
    }
    return labels.get(key, key)


def show(value: Any) -> str:
    if value is None:
        return "—"
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    return str(value)


# ---------------------------------------------------------------- reads


def version_list(year: AssessmentYear) -> list[ResultsVersion]:
    """Every published version of the year, oldest first, in one query (figures included)."""
    stored = list(
        ResultsVersion.objects.filter(year=year)
        .select_related("published_by", "correction")
        .order_by("number")
    )
    for version in stored:
        version.year = year  # the caller's, not another query
    return stored


def current_version(year: AssessmentYear) -> ResultsVersion | None:
    return ResultsVersion.objects.filter(year=year).order_by("-number").first()


def sees_draft(user) -> bool:
    """Those who may read the live figures of a published year (labelled 未公布): the Office,
    the Leading Group, auditors and administrators."""
    return policies.sees_all(user)


def history(versions: list[ResultsVersion], codes=None) -> list[dict]:
    """Newest first: each version with what changed against the one before (only the units in
    `codes` when given: a community's own)."""
    wanted = None if codes is None else set(codes)
    out = []
    for previous, version in zip([None, *versions], versions, strict=False):
        changes = diff(previous.figures, version.figures) if previous is not None else []
        if wanted is not None:
            changes = [c for c in changes if c.unit in wanted]
        out.append({"version": version, "changes": changes})
    out.reverse()
    return out
