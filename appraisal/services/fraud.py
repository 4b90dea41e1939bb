"""Fraud findings (Art. 19): recorded by the Office with evidence, decided by the Leading Group."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core import access, evidence, workitems
from core.errors import Conflict
from core.models import UnitKind

from .. import policies
from ..kinds import WI_FRAUD_DECIDE
from ..models import Category, FraudFinding
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
def fraud_record(*, year_id, acting_user, unit_id, category_id, reason, files=()) -> FraudFinding:
    """The Office records a finding with evidence; the Leading Group decides it."""
    year = lock_year(year_id, acting_user)
    require(policies.is_office(acting_user))
    guard_open(year)
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    unit = assessed_unit(year, unit_id)
    checked = evidence.check_uploads(files)
    finding = FraudFinding.objects.create(
        year=year,
        unit=unit,
        category=category,
        reason=clean_text(reason, label=_("Reason"), max_length=MAX_REASON),
        recorded_by=acting_user,
    )
    files = store_files(checked, subject=finding, year=year, user=acting_user)
    ask(
        UnitKind.LEADING_GROUP,
        year,
        kind=WI_FRAUD_DECIDE,
        subject=finding,
        title=_("Decide a fraud finding: %(unit)s, %(cat)s")
        % {"unit": unit.name, "cat": category.name},
        url=reverse("appraisal:fraud", args=[year.year, finding.pk]),
    )
    audit(
        "appraisal.fraud_recorded",
        actor=acting_user,
        subject=finding,
        year=year,
        after={
            "unit": unit.code,
            "category": category.code,
            "reason": finding.reason,
            "files": files,
        },
    )
    return finding


@transaction.atomic
def fraud_decide(*, finding_id, acting_user, uphold: bool, note: str) -> FraudFinding:
    finding = access.get_visible_or_404(
        acting_user,
        FraudFinding.objects.select_for_update(of=("self",)).select_related("year"),
        pk=finding_id,
    )
    access.require_action(acting_user, finding, "decide")
    guard_open(finding.year)
    transition = finding.uphold if uphold else finding.reject
    if not can_proceed(transition):
        raise Conflict(_("This finding has been decided already."))
    note = clean_text(note, label=_("Decision note"), max_length=MAX_REASON, required=not uphold)
    transition()
    finding.decided_by = acting_user
    finding.decided_at = timezone.now()
    finding.decision_note = note
    finding.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    workitems.close_items(subject=finding)
    audit(
        "appraisal.fraud_upheld" if uphold else "appraisal.fraud_rejected",
        actor=acting_user,
        subject=finding,
        year=finding.year,
        after={"state": finding.state, "note": note},
    )
    return finding
