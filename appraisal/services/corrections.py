"""Corrections of decided results (Art. 16): requested by the Office, approved or refused by
the Leading Group, closed by the Office (republication is in services.publication)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, workitems
from core.errors import Conflict
from core.models import UnitKind

from .. import policies
from ..kinds import WI_CORRECTION
from ..models import OPEN_CORRECTION_STATES, Correction, CorrectionState
from ..results.versions import current_version
from .common import MAX_REASON, ask, audit, clean_text, lock_year, require
from .publication import figures_changed


@transaction.atomic
def correction_request(*, year_id, acting_user, reason) -> Correction:
    """The Office asks the Leading Group to reopen decided results, with a reason."""
    year = lock_year(year_id, acting_user)
    require(policies.is_office(acting_user))
    if not year.inputs_closed:
        raise Conflict(_("Only a decided year needs a correction; this one is still open."))
    if Correction.objects.filter(year=year, state__in=OPEN_CORRECTION_STATES).exists():
        raise Conflict(_("A correction of this year is already open."))
    correction = Correction.objects.create(
        year=year,
        reason=clean_text(reason, label=_("Reason"), max_length=MAX_REASON),
        requested_by=acting_user,
    )
    ask(
        UnitKind.LEADING_GROUP,
        year,
        kind=WI_CORRECTION,
        subject=correction,
        title=_("Approve a correction of %(year)s") % {"year": year.year},
        url=reverse("appraisal:year", args=[year.year]),
    )
    audit(
        "appraisal.correction_requested",
        actor=acting_user,
        subject=correction,
        year=year,
        after={"reason": correction.reason},
    )
    return correction


def _lock_correction(correction_id, acting_user) -> Correction:
    """The correction, locked, through the access policy: 404 for an id that does not exist or
    is of another sub-district."""
    return access.get_visible_or_404(
        acting_user,
        Correction.objects.select_for_update(of=("self",)).select_related("year"),
        pk=correction_id,
    )


@transaction.atomic
def correction_decide(*, correction_id, acting_user, approve: bool, note: str) -> Correction:
    """The Leading Group approves (the year's inputs open again) or refuses a correction."""
    correction = _lock_correction(correction_id, acting_user)
    year = correction.year
    access.require_action(acting_user, year, "approve_correction")
    if correction.state != CorrectionState.REQUESTED:
        raise Conflict(_("This correction has been decided already."))
    correction.state = CorrectionState.APPROVED if approve else CorrectionState.REFUSED
    correction.decided_by = acting_user
    correction.decided_at = timezone.now()
    correction.decision_note = clean_text(
        note, label=_("Decision note"), max_length=MAX_REASON, required=not approve
    )
    correction.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    workitems.close_items(subject=correction)
    audit(
        "appraisal.correction_approved" if approve else "appraisal.correction_refused",
        actor=acting_user,
        subject=correction,
        year=year,
        after={"note": correction.decision_note},
    )
    return correction


@transaction.atomic
def correction_close(*, correction_id, acting_user) -> Correction:
    """The Office closes an applied correction: the year is frozen again."""
    correction = _lock_correction(correction_id, acting_user)
    access.require_action(acting_user, correction, "close")
    if correction.state != CorrectionState.APPROVED:
        raise Conflict(_("Only an approved correction can be closed."))
    # Art. 16: changed figures are published only as a new version (services.publication), never
    # left to differ silently from what was published.
    if current_version(correction.year) is not None and figures_changed(correction.year):
        raise Conflict(
            _(
                "The figures differ from the published version: close the correction for "
                "republication, or undo the changes first."
            )
        )
    correction.state = CorrectionState.CLOSED
    correction.closed_at = timezone.now()
    correction.save(update_fields=["state", "closed_at"])
    audit(
        "appraisal.correction_closed",
        actor=acting_user,
        subject=correction,
        year=correction.year,
        after={"state": correction.state},
    )
    return correction
