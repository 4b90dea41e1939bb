"""Publishing the year's results as versions (Art. 16): version 1 when the year is published,
a later one when the Leading Group approves the republication of a correction; what changed is
told to the units concerned. The figures and their comparison are in results.versions."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, workitems
from core.documents import next_document_number
from core.errors import Conflict
from core.models import UnitKind
from core.notifications import Message, notify_many

from .. import policies
from ..kinds import WI_REPUBLICATION
from ..models import FROZEN, AssessmentYear, Correction, CorrectionState, ResultsVersion
from ..results.compute import SHANGHAI, compute
from ..results.versions import (
    UnitChange,
    bundle_sha256,
    current_version,
    diff,
    settings_used,
    sha256,
    snapshot,
)
from .common import MAX_REASON, ask, audit, clean_text


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

    now = now or timezone.now()
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("version_write runs inside the publishing transaction")
    computed = compute(year)  # every unit's details: communities read their drill-down here
    figures = snapshot(computed)
    last = current_version(year)
    number = next_document_number(
        sub_district_id=year.sub_district_id,
        year=now.astimezone(SHANGHAI).year,
        prefix=bulletin_number_prefix(year.sub_district.name),
    )
    version = ResultsVersion.objects.create(
        year=year,
        number=(last.number + 1) if last else 1,
        published_at=now,
        published_by=acting_user,
        as_of=computed.results.as_of,
        figures=figures,
        figures_sha256=sha256(figures),
        settings_used=settings_used(year),
        bundle_sha256=bundle_sha256(year),
        reason=reason,
        correction=correction,
        document_number=number,
    )
    audit(
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
            "document_number": number,
        },
    )
    return version


def bulletin_number_prefix(sub_district_name: str) -> str:
    """The 机关代字 of the bulletins' numbers: 城南街道 → 城南街党建 (城南街党建〔2027〕1号)."""
    return f"{sub_district_name.removesuffix('街道')}街党建"


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

    current = current_version(year)
    if current is None:
        return True
    live = snapshot(compute(year))
    return bool(diff(current.figures, live)) or settings_used(year) != current.settings_used


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
    ask(
        UnitKind.LEADING_GROUP,
        year,
        kind=WI_REPUBLICATION,
        subject=correction,
        title=_("Approve the republication of the results of %(year)s") % {"year": year.year},
        url=reverse("appraisal:results", args=[year.year]) + "?draft=1",
    )
    audit(
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
    audit(
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
