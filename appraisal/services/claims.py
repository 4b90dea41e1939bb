"""Bonus claims (Art. 6): declared by a community with evidence, reviewed by the Office, decided
by the Leading Group (publicity starts on approval)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core import access, evidence, workdays, workitems
from core.errors import Conflict
from core.models import UnitKind
from core.notifications import notify

from .. import policies
from ..kinds import WI_CLAIM_DECIDE, WI_CLAIM_OBJECTION, WI_CLAIM_REVIEW
from ..models import (
    BonusClaim,
    BonusLevel,
    ClaimObjection,
    ClaimState,
    ObjectionState,
    YearStatus,
)
from .common import (
    MAX_REASON,
    ask,
    assessed_unit,
    audit,
    clean_text,
    guard_open,
    lock_year,
    require,
    store_files,
    with_files,
)


@with_files
def claim_declare(*, year_id, acting_user, unit_id, level, title, description, files=()):
    """A community declares a bonus item. After the deadline it is recorded and excluded."""
    year = lock_year(year_id, acting_user)
    require(access.has_role(acting_user, *policies.COMMUNITY_ROLES, unit=unit_id))
    guard_open(year)
    if year.claim_declare_by is None:
        raise Conflict(_("The Office has not set this year's declaration deadline yet."))
    if year.status not in (YearStatus.IN_PROGRESS, YearStatus.YEAR_END):
        raise Conflict(_("Bonus items are declared while the year is in progress."))
    unit = assessed_unit(year, unit_id)
    if level not in BonusLevel.values:
        raise ValidationError(_("Choose a level."))
    checked = evidence.check_uploads(files)
    if not checked:
        raise ValidationError(_("Attach the evidence of the honour (Art. 6)."))
    now = timezone.now()
    claim = BonusClaim.objects.create(
        year=year,
        unit=unit,
        level=level,
        title=clean_text(title, label=_("Title"), max_length=200),
        description=clean_text(description, label=_("Description"), required=False),
        declared_at=now,
        declare_by=year.claim_declare_by,
        declared_by=acting_user,
        sort_order=BonusClaim.objects.filter(year=year).count(),
    )
    files = store_files(checked, subject=claim, year=year, user=acting_user)
    ask(
        UnitKind.OFFICE,
        year,
        kind=WI_CLAIM_REVIEW,
        subject=claim,
        title=_("Review a bonus claim: %(unit)s, %(title)s")
        % {"unit": unit.name, "title": claim.title},
        url=reverse("appraisal:claim", args=[claim.pk]),
    )
    audit(
        "appraisal.claim_declared",
        actor=acting_user,
        subject=claim,
        year=year,
        after={
            "unit": unit.code,
            "level": level,
            "title": claim.title,
            "declared_at": now,
            "declare_by": claim.declare_by,
            "late": claim.late,
            "files": files,
        },
    )
    return claim


def _lock_claim(claim_id, acting_user) -> BonusClaim:
    return access.get_visible_or_404(
        acting_user,
        BonusClaim.objects.select_for_update(of=("self",)).select_related("year", "unit"),
        pk=claim_id,
    )


@transaction.atomic
def claim_review(*, claim_id, acting_user, forward: bool, note: str) -> BonusClaim:
    """The Office forwards a claim to the Leading Group, or rejects it with a reason."""
    claim = _lock_claim(claim_id, acting_user)
    access.require_action(acting_user, claim, "review")
    guard_open(claim.year)
    transition = claim.review if forward else claim.reject
    if not can_proceed(transition):
        raise Conflict(_("This claim is not waiting for the Office's review."))
    note = clean_text(note, label=_("Review note"), max_length=MAX_REASON, required=not forward)
    transition()
    claim.review_note = note
    claim.reviewed_by = acting_user
    claim.reviewed_at = timezone.now()
    claim.save(update_fields=["status", "review_note", "reviewed_by", "reviewed_at"])
    workitems.close_items(subject=claim, kinds=[WI_CLAIM_REVIEW])
    if forward:
        ask(
            UnitKind.LEADING_GROUP,
            claim.year,
            kind=WI_CLAIM_DECIDE,
            subject=claim,
            title=_("Decide a bonus claim: %(unit)s, %(title)s")
            % {"unit": claim.unit.name, "title": claim.title},
            url=reverse("appraisal:claim", args=[claim.pk]),
        )
    if not forward:
        _notify_claim(claim, "claim_rejected")
    audit(
        "appraisal.claim_reviewed" if forward else "appraisal.claim_rejected",
        actor=acting_user,
        subject=claim,
        year=claim.year,
        after={"status": claim.status, "note": note},
    )
    return claim


@transaction.atomic
def claim_decide(
    *, claim_id, acting_user, approve: bool, note: str, now: dt.datetime | None = None
) -> BonusClaim:
    """The Leading Group approves (publicity starts: 通报展示) or rejects a reviewed claim."""
    now = now or timezone.now()
    claim = _lock_claim(claim_id, acting_user)
    access.require_action(acting_user, claim, "decide")
    guard_open(claim.year)
    transition = claim.approve if approve else claim.reject
    if claim.status != ClaimState.OFFICE_REVIEWED or not can_proceed(transition):
        raise Conflict(_("This claim is not waiting for the Leading Group's decision."))
    note = clean_text(note, label=_("Decision note"), max_length=MAX_REASON, required=not approve)
    transition()
    claim.decision_note = note
    claim.decided_by = acting_user
    claim.decided_at = now
    if approve:
        try:
            last = workdays.add_workdays(
                workdays.local_date(now), claim.year.publicity_working_days
            )
        except workdays.CalendarYearUnknown as exc:
            raise ValidationError(str(exc)) from exc
        claim.publicity_ends_at = workdays.end_of_day(last)
    claim.save(
        update_fields=["status", "decision_note", "decided_by", "decided_at", "publicity_ends_at"]
    )
    workitems.close_items(subject=claim)
    _notify_claim(claim, "claim_approved" if approve else "claim_rejected")
    audit(
        "appraisal.claim_approved" if approve else "appraisal.claim_rejected",
        actor=acting_user,
        subject=claim,
        year=claim.year,
        after={"status": claim.status, "note": note, "publicity_ends_at": claim.publicity_ends_at},
    )
    return claim


def _notify_claim(claim: BonusClaim, verb: str) -> None:
    notify(
        sub_district_id=claim.year.sub_district_id,
        unit_id=claim.unit_id,
        verb=verb,
        title=claim.title,
        url=reverse("appraisal:claim", args=[claim.pk]),
        subject=claim,
    )


@transaction.atomic
def objection_raise(*, claim_id, acting_user, reason, now: dt.datetime | None = None):
    """Anyone of the sub-district (auditors only read) objects to a claim in publicity (Art. 6);
    the objection lands in the Office's inbox."""
    now = now or timezone.now()
    claim = _lock_claim(claim_id, acting_user)
    require(access.can_act(acting_user, claim, "object"))
    guard_open(claim.year)
    if not claim.in_publicity(now):
        raise Conflict(_("This claim is not in its publicity period: objections are closed."))
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    units = policies.objector_units(acting_user)
    objection = ClaimObjection.objects.create(
        claim=claim, unit_id=min(units), raised_by=acting_user, raised_at=now, reason=reason
    )
    ask(
        UnitKind.OFFICE,
        claim.year,
        kind=WI_CLAIM_OBJECTION,
        subject=objection,
        title=_("Handle an objection to a bonus claim: %(unit)s, %(title)s")
        % {"unit": claim.unit.name, "title": claim.title},
        url=reverse("appraisal:claim", args=[claim.pk]),
    )
    audit(
        "appraisal.claim_objection_raised",
        actor=acting_user,
        subject=claim,
        year=claim.year,
        after={"objection": objection.pk, "unit": objection.unit_id, "reason": reason},
    )
    return objection


@transaction.atomic
def objection_handle(*, objection_id, claim_id, acting_user, upheld: bool, response: str):
    """The Office answers an objection: upheld withdraws the claim's approval (Art. 6), dismissed
    leaves it standing; the response is required either way."""
    objection = (
        ClaimObjection.objects.select_for_update(of=("self",))
        .select_related("claim")
        .filter(pk=objection_id, claim_id=claim_id)
        .first()
    )
    if objection is None:
        raise Conflict(_("This objection does not exist."))
    claim = _lock_claim(objection.claim_id, acting_user)
    access.require_action(acting_user, claim, "review")
    guard_open(claim.year)
    if objection.status != ObjectionState.OPEN:
        raise Conflict(_("This objection has already been handled."))
    response = clean_text(response, label=_("Response"), max_length=MAX_REASON)
    now = timezone.now()
    objection.status = ObjectionState.UPHELD if upheld else ObjectionState.DISMISSED
    objection.response = response
    objection.handled_by = acting_user
    objection.handled_at = now
    objection.save(update_fields=["status", "response", "handled_by", "handled_at"])
    if upheld and can_proceed(claim.withdraw):
        claim.withdraw()
        claim.save(update_fields=["status"])
        _notify_claim(claim, "claim_rejected")
    workitems.close_items(subject=objection, kinds=[WI_CLAIM_OBJECTION])
    audit(
        "appraisal.claim_objection_handled",
        actor=acting_user,
        subject=claim,
        year=claim.year,
        after={
            "objection": objection.pk,
            "status": objection.status,
            "response": response,
            "claim_status": claim.status,
        },
    )
    return objection
