"""Published results versions (Art. 16–18): what was published, when, by whom and why.

Publication freezes the results as they were decided: `version_write` stores a snapshot of every
figure the pages show (the engine's YearResults, Decimals as strings), the scoring settings and
the SHA-256 of the year bundle they were computed from. Everyone outside the Office, the Leading
Group and the auditors reads the current version (`published`), never a live recompute, so an
approved correction changes nothing they see until the Leading Group approves its
republication. Each later version records the correction and its reason; `diff` names every
figure that changed between two versions (old → new, per unit).

The bundle hash: `bundle_sha256` hashes the canonical bytes of `bundle.export_bundle(year)` —
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

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, workitems
from core.errors import Conflict
from core.models import UnitKind
from core.notifications import Message, notify_many

from . import domain, policies
from .models import FROZEN, AssessmentYear, Correction, CorrectionState, ResultsVersion
from .results import Computed

WI_REPUBLICATION = "correction.republish"  # the Leading Group approves a republication
FORMAT = "rectify-results-version/1"


# ---------------------------------------------------------------- canonical bytes and hashes


def canonical_bytes(data: Any) -> bytes:
    """UTF-8 JSON, keys sorted, no whitespace: the bytes a hash is taken of."""
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256(data: Any) -> str:
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def bundle_sha256(year: AssessmentYear) -> str:
    """SHA-256 of the canonical bytes of the year bundle (year-bundle.md)."""
    from .bundle import export_bundle

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


# ---------------------------------------------------------------- writes


def version_write(
    *,
    year: AssessmentYear,
    acting_user,
    now: datetime | None = None,
    reason: str = "",
    correction: Correction | None = None,
    job: str = "",
) -> ResultsVersion:
    """Store the next version of the year's results with its audit row; call inside the
    transaction of the publication or republication (Art. 16)."""
    from .bundle import export_settings
    from .results import compute
    from .services import _audit

    now = now or timezone.now()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("version_write runs inside the publishing transaction")
    computed = compute(year)  # every unit's details: communities read their drill-down here
    figures = snapshot(computed)
    last = current_version(year)
    version = ResultsVersion.objects.create(
        year=year,
        number=(last.number + 1) if last else 1,
        published_at=now,
        published_by=acting_user,
        as_of=computed.results.as_of,
        figures=figures,
        figures_sha256=sha256(figures),
        settings_used=export_settings(year),
        bundle_sha256=bundle_sha256(year),
        reason=reason,
        correction=correction,
    )
    _audit(
        "appraisal.results_version_written",
        actor=acting_user,
        job=job,
        subject=version,
        year=year,
        after={
            "number": version.number,
            "as_of": version.as_of,
            "figures_sha256": version.figures_sha256,
            "bundle_sha256": version.bundle_sha256,
            "correction": correction.pk if correction else None,
            "reason": reason,
        },
    )
    return version


BACKFILL_JOB = "results-version-backfill"


def backfill_missing_versions(**kwargs) -> int:
    """After every migrate: a year published before versions were stored gets its version 1
    (the figures as they stand at the upgrade, audited as the backfill job), so communities read a
    stored version and a later correction cannot change it unseen. Idempotent; no-op on a fresh
    database."""
    from django.db import connection

    if ResultsVersion._meta.db_table not in connection.introspection.table_names():
        return 0  # a partial migrate: the table comes later
    years = AssessmentYear.objects.filter(status__in=FROZEN, versions__isnull=True)
    written = 0
    for year in years:
        with transaction.atomic():
            version_write(
                year=year,
                acting_user=None,
                now=year.published_at,
                reason=_(
                    "Published before result versions were stored: the figures as they stood "
                    "at the upgrade."
                ),
                job=BACKFILL_JOB,
            )
        written += 1
    return written


def figures_changed(year: AssessmentYear) -> bool:
    """Whether the live figures or settings differ from the current published version (True
    when nothing was published as a version yet)."""
    from .bundle import export_settings
    from .results import compute

    current = current_version(year)
    if current is None:
        return True
    live = snapshot(compute(year))
    return bool(diff(current.figures, live)) or export_settings(year) != current.settings_used


def _open_correction(year_id: int, acting_user, state: str) -> Correction:
    """The year's correction in `state`, locked (404 for a year the user cannot see; 409 when
    no correction is in that state: the action is stale or has nothing to act on)."""
    year = access.get_visible_or_404(acting_user, AssessmentYear, pk=year_id)
    correction = (
        Correction.objects.select_for_update()
        .filter(year=year, state=state)
        .order_by("-requested_at")
        .first()
    )
    if correction is None:
        raise Conflict(_("There is no correction in the state this action needs."))
    correction.year = year
    return correction


@transaction.atomic
def correction_republication_request(*, year_id: int, acting_user) -> Correction:
    """The Office closes the year's applied correction and asks the Leading Group to publish
    its figures as a new version (Art. 16); the year is frozen again meanwhile."""
    from .services import _ask, _audit

    year = access.get_visible_or_404(acting_user, AssessmentYear, pk=year_id)
    if not policies.is_office(acting_user):
        raise PermissionDenied
    correction = _open_correction(year.pk, acting_user, CorrectionState.APPROVED)
    if not figures_changed(year):
        raise Conflict(
            _(
                "The figures are the same as in the published version: close the correction "
                "without republishing."
            )
        )
    correction.state = CorrectionState.AWAITING_REPUBLICATION
    correction.closed_at = timezone.now()
    correction.save(update_fields=["state", "closed_at"])
    _ask(
        UnitKind.LEADING_GROUP,
        year,
        kind=WI_REPUBLICATION,
        subject=correction,
        title=_("Approve the republication of the results of %(year)s") % {"year": year.year},
        url=reverse("appraisal:results", args=[year.year]) + "?draft=1",
    )
    _audit(
        "appraisal.correction_republication_requested",
        actor=acting_user,
        subject=correction,
        year=year,
        before={"state": CorrectionState.APPROVED},
        after={"state": correction.state},
    )
    return correction


@transaction.atomic
def correction_republication_decide(
    *, year_id: int, acting_user, approve: bool, note: str
) -> Correction:
    """The Leading Group approves the republication of the year's closed correction (a new
    version is written and the units whose figures changed are told) or refuses it (the
    published version stays)."""
    from .services import MAX_REASON, _audit, clean_text

    year = access.get_visible_or_404(acting_user, AssessmentYear, pk=year_id)
    access.require_action(acting_user, year, "approve_correction")
    correction = _open_correction(year.pk, acting_user, CorrectionState.AWAITING_REPUBLICATION)
    note = clean_text(note, label=_("Decision note"), max_length=MAX_REASON, required=not approve)
    now = timezone.now()
    before = correction.state
    correction.state = (
        CorrectionState.REPUBLISHED if approve else CorrectionState.REPUBLICATION_REFUSED
    )
    correction.republication_decided_by = acting_user
    correction.republication_decided_at = now
    correction.republication_note = note
    correction.save(
        update_fields=[
            "state",
            "republication_decided_by",
            "republication_decided_at",
            "republication_note",
        ]
    )
    workitems.close_items(subject=correction, kinds=[WI_REPUBLICATION])
    _audit(
        "appraisal.correction_republished"
        if approve
        else "appraisal.correction_republication_refused",
        actor=acting_user,
        subject=correction,
        year=year,
        before={"state": before},
        after={"state": correction.state, "note": note},
    )
    if approve:
        previous = current_version(year)
        version = version_write(
            year=year,
            acting_user=acting_user,
            now=now,
            reason=correction.reason,
            correction=correction,
        )
        if previous is not None:
            _notify_changed(year, version, diff(previous.figures, version.figures))
    return correction


def _notify_changed(year: AssessmentYear, version: ResultsVersion, changes: list[UnitChange]):
    """Tell the people of each unit whose figures changed (delivered after commit)."""
    pks = version.figures["unit_pks"]
    title = _("The results of %(year)s were corrected: version %(n)s") % {
        "year": year.year,
        "n": version.number,
    }
    url = reverse("appraisal:results", args=[year.year])
    notify_many(
        [
            Message(
                sub_district_id=year.sub_district_id,
                unit_id=pks[change.unit],
                verb="results.republished",
                title=title,
                url=url,
            )
            for change in changes
            if change.unit in pks
        ]
    )
