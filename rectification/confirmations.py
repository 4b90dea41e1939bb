"""What an official act on a notice will do, stated before it is done (Art. 11).

签发, 退回, 验收销号 and 撤回 cannot be undone: the form posts first without `confirmed`, and the
view shows a confirmation page built here — the notices, their recipient units, the deadlines
that will start. Read only: nothing is locked, written or audited. The same checks as the act
run first (403 for an act not the user's, 409 for a form that is stale or an act the state does
not allow, a clear error for bad input), so a page that would only lead to a refusal is never
shown; the act itself checks everything again when confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from core import access, workdays
from core.errors import Conflict
from core.validation import clean_text

from . import services
from .models import NUMBER_MARK, Notice, NoticeCounter, NoticeState

S = NoticeState


@dataclass(frozen=True)
class Row:
    """One notice the act concerns: its number (expected, before issue), subject, recipient."""

    number: str
    subject: str
    unit: str
    deadlines: tuple[tuple[str, str], ...] = ()


@dataclass
class Confirmation:
    title: str
    consequences: list[str]
    rows: list[Row]
    confirm_label: str
    details: list[tuple[str, str]] = field(default_factory=list)
    numbers_expected: bool = False


def _day(moment: dt.datetime) -> str:
    return workdays.local_date(moment).isoformat()


def _unit_name(unit) -> str:
    return unit.name


def _check(
    notice: Notice,
    acting_user,
    *,
    action: str,
    method: str,
    expected_state: str | None,
    expected_version: int | None = None,
    version_of: Callable[[Notice], int] | None = None,
) -> None:
    """The act's own checks, read only: 403, then 409 for a stale form or a state that does not
    allow the act (services._transition, without the lock)."""
    if not access.can_act(acting_user, notice, action):
        raise PermissionDenied(_("Your role does not allow this action on this notice."))
    services._check_expected(
        notice,
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=version_of,
    )
    if not can_proceed(getattr(notice, method)):
        raise Conflict(
            _("This notice is “%(state)s”: that action is not possible now.")
            % {"state": notice.get_state_display()},
            url=services._case_url(notice),
        )


def _load(notice_id: int, acting_user) -> Notice:
    notice = Notice.objects.select_related("target").filter(pk=notice_id).first()
    if notice is None or not access.can_see(acting_user, notice):
        raise Http404
    return notice


def _expected_numbers(sub_district_id: int, kind: str, now: dt.datetime, count: int) -> list[str]:
    """The numbers the next `count` notices of this kind would get (the counter is only moved
    by the act: another notice issued meanwhile takes the next one)."""
    year = workdays.local_date(now).year
    last = (
        NoticeCounter.objects.filter(sub_district_id=sub_district_id, year=year, kind=kind)
        .values_list("last", flat=True)
        .first()
        or 0
    )
    return [f"{year}-{NUMBER_MARK[kind]}-{last + i:03d}" for i in range(1, count + 1)]


def _deadline_rows(reply: dt.datetime, measures: dt.datetime) -> tuple[tuple[str, str], ...]:
    return ((_("Reply due"), _day(reply)), (_("Measures due"), _day(measures)))


def _issue(kind: str, subject: str, units: list, sub_district_id: int, reply, measures, now):
    numbers = _expected_numbers(sub_district_id, kind, now, len(units))
    deadlines = _deadline_rows(reply, measures)
    rows = [Row(n, subject, _unit_name(u), deadlines) for n, u in zip(numbers, units, strict=True)]
    if len(rows) == 1:
        lead = _(
            "After issue, %(number)s goes to %(unit)s, and the reply deadline starts "
            "(until %(date)s)."
        ) % {"number": rows[0].number, "unit": rows[0].unit, "date": _day(reply)}
    else:
        lead = _(
            "After issue, each of the %(n)s notices below goes to its community, and the reply "
            "deadline starts (until %(date)s)."
        ) % {"n": len(rows), "date": _day(reply)}
    return Confirmation(
        title=_("Confirm issue"),
        consequences=[
            lead,
            _("The measures are due by %(date)s.") % {"date": _day(measures)},
            _("An issued notice can no longer be edited."),
        ],
        rows=rows,
        confirm_label=_("Confirm issue"),
        numbers_expected=True,
    )


def _escalates(confirmation: Confirmation, notice: Notice) -> Confirmation:
    """R11.2: issuing an escalated notice makes the one it escalates 已升级."""
    if notice.escalated_from_id:
        original = notice.escalated_from
        confirmation.consequences.insert(
            1,
            _(
                "%(number)s, which this notice escalates, becomes “Escalated” and leaves the "
                "inbox of %(unit)s."
            )
            % {"number": original.number, "unit": _unit_name(original.target)},
        )
    return confirmation


def issue_of_draft(*, notice_id: int, acting_user, expected_state: str | None) -> Confirmation:
    """签发 of a draft from its case page."""
    notice = _load(notice_id, acting_user)
    _check(notice, acting_user, action="issue", method="issue", expected_state=expected_state)
    now = timezone.now()
    reply, measures = services.issue_deadlines(
        services.Deadline(notice.reply_due_date, notice.reply_due_workdays),
        services.Deadline(notice.measures_due_date, notice.measures_due_workdays),
        now,
    )
    return _escalates(
        _issue(
            notice.kind,
            notice.subject,
            [notice.target],
            notice.sub_district_id,
            reply,
            measures,
            now,
        ),
        notice,
    )


def issue_of_form(
    *,
    acting_user,
    data: services.NoticeInput,
    target_ids: Sequence[int],
    notice_id: int | None = None,
    expected_draft: str | None = None,
) -> Confirmation:
    """签发 from the new-notice form (to one community or several at once) or from the edit
    page of a draft (`notice_id`, saved and issued in one write)."""
    data = services._validate_input(replace(data))
    if notice_id is not None:
        notice = _load(notice_id, acting_user)
        if not (
            access.can_act(acting_user, notice, "edit")
            and access.can_act(acting_user, notice, "issue")
        ):
            raise PermissionDenied(_("Your role does not allow this action on this notice."))
        if notice.state != S.DRAFT:
            raise Conflict(_("Only a draft can be edited."), url=services._case_url(notice))
        if expected_draft is not None and expected_draft != services.draft_fingerprint(notice):
            raise services._stale(notice, services.STALE_OTHER)
    services._check_issuing_unit(acting_user, data.issuing_unit_id)
    targets = list(dict.fromkeys(int(t) for t in target_ids))
    if not targets:
        raise ValidationError(_("Choose at least one community."))
    if len(targets) > 500:
        raise ValidationError(_("At most 500 communities at once."))
    units = [services._check_target(acting_user.sub_district_id, t) for t in targets]
    now = timezone.now()
    reply, measures = services.issue_deadlines(data.reply_due, data.measures_due, now)
    confirmation = _issue(
        data.kind, data.subject, units, acting_user.sub_district_id, reply, measures, now
    )
    return _escalates(confirmation, notice) if notice_id is not None else confirmation


def return_of(
    *,
    notice_id: int,
    acting_user,
    reason: str,
    new_due: dt.date | None,
    expected_state: str | None,
    expected_version: int | None,
) -> Confirmation:
    """退回 of the reply or of the measures: the community must send them again, by when."""
    reason = clean_text(reason, label=_("Reason"), max_length=services.MAX_REASON)
    if new_due is not None and workdays.end_of_day(new_due) <= timezone.now():
        raise ValidationError(_("A new deadline must be in the future."))
    notice = _load(notice_id, acting_user)
    measures = (expected_state or notice.state) == S.MEASURES_SUBMITTED
    _check(
        notice,
        acting_user,
        action="return",
        method="return_measures" if measures else "return_reply",
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=services.latest_measures_version if measures else services.latest_reply_version,
    )
    unit = _unit_name(notice.target)
    if measures:
        due = notice.measures_due_at
        if new_due is not None:
            due = max(workdays.end_of_day(new_due), notice.reply_due_at)
        lead = _(
            "The measures of %(unit)s on %(number)s go back for rework with your reason; "
            "%(unit)s must submit measures again by %(date)s."
        )
        label = _("Measures due")
    else:
        due = workdays.end_of_day(new_due) if new_due is not None else notice.reply_due_at
        lead = _(
            "The reply of %(unit)s to %(number)s goes back for rework with your reason; "
            "%(unit)s must reply again by %(date)s."
        )
        label = _("Reply due")
    values = {"unit": unit, "number": notice.number, "date": _day(due)}
    return Confirmation(
        title=_("Confirm return"),
        consequences=[lead % values, _("The return is recorded and cannot be undone.")],
        rows=[Row(notice.number, notice.subject, unit, ((label, _day(due)),))],
        confirm_label=_("Confirm return"),
        details=[(_("Reason"), reason)],
    )


def verify_of(
    *,
    notice_id: int,
    acting_user,
    comment: str,
    expected_state: str | None,
    expected_version: int | None,
) -> Confirmation:
    """验收销号: the measures are accepted and the case is closed for good."""
    comment = clean_text(
        comment, label=_("Comment"), max_length=services.MAX_REASON, required=False
    )
    notice = _load(notice_id, acting_user)
    _check(
        notice,
        acting_user,
        action="verify",
        method="verify",
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=services.latest_measures_version,
    )
    unit = _unit_name(notice.target)
    return Confirmation(
        title=_("Confirm verification"),
        consequences=[
            _(
                "%(number)s is verified and closed: the rectification of %(unit)s is accepted, "
                "its open tasks end and %(unit)s is told."
            )
            % {"number": notice.number, "unit": unit},
            _("A closed notice cannot be reopened."),
        ],
        rows=[Row(notice.number, notice.subject, unit)],
        confirm_label=_("Confirm verification"),
        details=[(_("Verification comment"), comment)] if comment else [],
    )


def withdraw_of(
    *, notice_id: int, acting_user, reason: str, expected_state: str | None
) -> Confirmation:
    """撤回 of a draft or an issued notice."""
    reason = clean_text(reason, label=_("Reason"), max_length=services.MAX_REASON)
    notice = _load(notice_id, acting_user)
    _check(notice, acting_user, action="withdraw", method="withdraw", expected_state=expected_state)
    unit = _unit_name(notice.target)
    if notice.issued_at:
        lead = _(
            "%(number)s is withdrawn: %(unit)s no longer has to reply or rectify, its open "
            "tasks are cancelled and %(unit)s is told."
        ) % {"number": notice.number, "unit": unit}
    else:
        lead = _("The draft for %(unit)s is withdrawn and will never be issued.") % {"unit": unit}
    return Confirmation(
        title=_("Confirm withdrawal"),
        consequences=[lead, _("A withdrawn notice cannot be issued again.")],
        rows=[Row(notice.number or _("draft"), notice.subject, unit)],
        confirm_label=_("Confirm withdrawal"),
        details=[(_("Reason"), reason)],
    )
