"""Helpers every appraisal service shares: the year's openness for input, locks, the
product's text and points parsing, the one audit call, decisions put into an inbox, evidence."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import wraps

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import access, evidence, workitems
from core.audit import audit_record
from core.errors import Conflict
from core.middleware import current_ip
from core.models import Unit, UnitKind
from core.validation import clean_text as _clean_text

from .. import policies
from ..models import AssessedUnit, AssessmentYear, Category, Correction, CorrectionState

MAX_TEXT = 20000


MAX_REASON = 5000


def with_files(fn):
    """One transaction; evidence files written inside it are removed if it does not commit."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        with evidence.removed_if_failed(), transaction.atomic():
            return fn(*args, **kwargs)

    return wrapper


def writable(year: AssessmentYear) -> bool:
    """Open for input: not yet decided, or decided with an approved correction still open
    (Art. 16: the decided results change only through a correction)."""
    if not year.inputs_closed:
        return True
    return Correction.objects.filter(year=year, state=CorrectionState.APPROVED).exists()


def guard_open(year: AssessmentYear) -> None:
    if not writable(year):
        raise Conflict(
            _(
                "The results of %(year)s are %(status)s: its inputs are closed. A change needs a "
                "correction approved by the Leading Group."
            )
            % {"year": year.year, "status": year.get_status_display()}
        )


def lock_year(year_id: int, user) -> AssessmentYear:
    year = access.get_visible_or_404(user, AssessmentYear.objects.select_for_update(), pk=year_id)
    return year


def require(cond: bool) -> None:
    if not cond:
        raise PermissionDenied


def clean_text(value: str, *, label: str, max_length: int = MAX_TEXT, required=True) -> str:
    """Typed text under the product's one policy (core.validation): NUL refused, length capped."""
    return _clean_text(value, label=label, max_length=max_length, required=required)


def parse_points(value, *, label: str, low=None, high=None) -> Decimal:
    """A decimal with at most 2 places within [low, high]; a Chinese message otherwise."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(
            _("%(field)s: “%(value)s” is not a number.") % {"field": label, "value": value}
        ) from None
    if not number.is_finite() or number.as_tuple().exponent < -2:
        raise ValidationError(_("%(field)s: at most 2 decimal places.") % {"field": label})
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValidationError(
            _("%(field)s must lie between %(low)s and %(high)s.")
            % {"field": label, "low": low, "high": high}
        )
    return number


def audit(event_type, *, actor, subject, year, before=None, after=None, job: str = ""):
    audit_record(
        event_type=event_type,
        actor=actor,
        job=job,
        subject=subject,
        sub_district=year.sub_district_id,
        before=before,
        after=after,
        ip=current_ip(),
    )


def office_unit(year: AssessmentYear) -> Unit | None:
    return Unit.objects.filter(sub_district_id=year.sub_district_id, kind=UnitKind.OFFICE).first()


def ask(desk: str, year: AssessmentYear, *, kind: str, subject, title: str, url: str) -> None:
    """Put a decision without a deadline into the inbox (待办) of the Office or the Leading Group
    (`desk`: a UnitKind) of the year's sub-district."""
    unit = Unit.objects.filter(sub_district_id=year.sub_district_id, kind=desk).first()
    if unit is not None:
        workitems.open_item(
            kind=kind,
            subject=subject,
            owner_unit_id=unit.pk,
            sub_district_id=year.sub_district_id,
            title=title,
            url=url,
            due_at=None,
        )


def store_files(checked, *, subject, year: AssessmentYear, user) -> list[dict]:
    """Store the checked evidence files on the subject; what the audit row records of them."""
    stored = [
        evidence.store(c, subject=subject, sub_district_id=year.sub_district_id, user=user)
        for c in checked
    ]
    return [{"name": e.original_name, "sha256": e.sha256, "size": e.size} for e in stored]


def category_for_writer(year, category_id, acting_user) -> Category:
    category = Category.objects.filter(year=year, pk=category_id).first()
    if category is None:
        raise ValidationError(_("Choose a category of this year."))
    require(policies.can_score(acting_user, category) or policies.is_office(acting_user))
    return category


def assessed_unit(year, unit_id) -> Unit:
    assessed = (
        AssessedUnit.objects.filter(year=year, unit_id=unit_id).select_related("unit").first()
    )
    if assessed is None:
        raise ValidationError(_("Choose a community assessed this year."))
    return assessed.unit
