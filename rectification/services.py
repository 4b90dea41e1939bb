"""Write services for rectification notices (Art. 11). One transaction each, one audit row per
state change, notifications recorded in the same transaction and delivered after commit.

Every transition: lock the row (select_for_update), check visibility (404), the user's right
(403) and the state (409, can_proceed), change, save(update_fields=…), audit, notify.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, pgettext
from django_fsm import ConcurrentTransition, TransitionNotAllowed, can_proceed

from core import access, evidence, submissions, workdays, workitems
from core.audit import audit_record
from core.errors import Conflict
from core.middleware import current_ip
from core.models import Evidence, Unit, UnitKind, WorkItemState
from core.notifications import notify
from core.validation import clean_text

from .kinds import (
    WI_ESCALATION_DRAFT,
    WI_EXTENSION,
    WI_MEASURES,
    WI_PROPOSAL,
    WI_REPLY,
    WI_VERIFY,
)
from .models import (
    ESCALATES_TO,
    NUMBER_MARK,
    DeadlineExtension,
    EscalationProposal,
    Measure,
    MeasureSet,
    Notice,
    NoticeCounter,
    NoticeKind,
    NoticeState,
    Reply,
)
from .policies import can_issue_for

S = NoticeState
logger = logging.getLogger(__name__)
MAX_SUBJECT = 200
MAX_TEXT = 20000
MAX_BASIS = 5000
MAX_REASON = 5000
MAX_MEASURES = 50


# --- input ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """A deadline as the issuer gives it: a date, or N working days from the day of issue."""

    date: dt.date | None = None
    workdays: int | None = None

    def __post_init__(self):
        if (self.date is None) == (self.workdays is None):
            raise ValidationError(_("Give a deadline either as a date or as working days."))
        if self.workdays is not None and not 1 <= self.workdays <= 250:
            raise ValidationError(_("A deadline in working days must be between 1 and 250."))

    def resolve(self, issued_at: dt.datetime) -> dt.datetime:
        if self.date is not None:
            return workdays.end_of_day(self.date)
        try:
            return workdays.deadline_after_workdays(issued_at, self.workdays)
        except workdays.CalendarYearUnknown as exc:
            raise ValidationError(str(exc)) from exc


@dataclass
class NoticeInput:
    kind: str
    issuing_unit_id: int
    subject: str
    problem: str
    basis: str = ""
    reply_due: Deadline | None = None
    measures_due: Deadline | None = None
    interview_required: bool = False


@dataclass
class MeasureInput:
    description: str
    responsible_person: str
    planned_date: dt.date
    files: Sequence = field(default_factory=list)
    # Files of the returned version kept for this measure (their evidence ids).
    keep_file_ids: Sequence[int] = ()


def _validate_input(data: NoticeInput) -> NoticeInput:
    if data.kind not in NoticeKind.values:
        raise ValidationError(_("Unknown kind of notice."))
    data.subject = clean_text(
        data.subject, label=pgettext("notice", "Subject"), max_length=MAX_SUBJECT
    )
    data.problem = clean_text(data.problem, label=_("Problem found"), max_length=MAX_TEXT)
    data.basis = clean_text(data.basis, label=_("Basis"), max_length=MAX_BASIS, required=False)
    if data.reply_due is None or data.measures_due is None:
        raise ValidationError(_("Both the reply and the measures deadline are required."))
    return data


# --- helpers ----------------------------------------------------------------------------------


def _snapshot(notice: Notice) -> dict:
    return {
        "state": notice.state,
        "number": notice.number,
        "reply_due_at": notice.reply_due_at,
        "measures_due_at": notice.measures_due_at,
    }


def _case_url(notice: Notice) -> str:
    return reverse("notice_detail", args=[notice.pk])


def _title(notice: Notice) -> str:
    return f"{notice.get_kind_display()} {notice.number} {notice.subject}".strip()


# Art. 11: each notification says who did what to which case, e.g. "和平里社区党委 提交了
# 2026-联-003《三会一课记录不全》的整改措施". The community's steps are done by the target, every
# other step by the issuing unit.
COMMUNITY_VERBS = {"notice.replied", "notice.measures_submitted", "notice.extension_requested"}
_SENTENCES: dict[str, Callable[[], str]] = {
    "notice.issued": lambda: _("%(actor)s issued %(kind)s %(ref)s to %(community)s"),
    "notice.replied": lambda: _("%(community)s submitted the reply to %(ref)s"),
    "notice.measures_submitted": lambda: _(
        "%(community)s submitted the rectification measures of %(ref)s"
    ),
    "notice.reply_returned": lambda: _(
        "%(actor)s returned the reply of %(community)s to %(ref)s for rework"
    ),
    "notice.measures_returned": lambda: _(
        "%(actor)s returned the rectification measures of %(community)s for %(ref)s for rework"
    ),
    "notice.verified": lambda: _("%(actor)s verified and closed %(ref)s of %(community)s"),
    "notice.withdrawn": lambda: _("%(actor)s withdrew %(ref)s addressed to %(community)s"),
    "notice.escalated": lambda: _("%(actor)s escalated %(ref)s of %(community)s"),
    "notice.escalation_draft": lambda: _(
        "The escalated %(kind)s “%(subject)s” for %(community)s is drafted: the Office issues it"
    ),
    "notice.extension_requested": lambda: _("%(community)s asked for more time on %(ref)s"),
    "notice.extension_granted": lambda: _(
        "%(actor)s granted the extension %(community)s asked for on %(ref)s"
    ),
    "notice.extension_refused": lambda: _(
        "%(actor)s refused the extension %(community)s asked for on %(ref)s"
    ),
}
# A version handed in again says so, instead of reading like a second identical entry.
_RESUBMITTED: dict[str, Callable[[], str]] = {
    "notice.replied": lambda: _(
        "%(community)s submitted the reply to %(ref)s again (submission %(n)s)"
    ),
    "notice.measures_submitted": lambda: _(
        "%(community)s submitted the rectification measures of %(ref)s again (submission %(n)s)"
    ),
}


def _submission_number(notice: Notice, verb: str) -> int:
    if verb == "notice.replied":
        return notice.replies.count()
    if verb == "notice.measures_submitted":
        return notice.measure_sets.count()
    return 1


def notification_text(notice: Notice, verb: str, *, submission: int = 1) -> str:
    """The sentence a notification of `verb` about the notice shows, in the active language."""
    target = notice.target.name
    actor = target if verb in COMMUNITY_VERBS else notice.issuing_unit.name
    values = {
        "actor": actor,
        "community": target,
        "kind": notice.get_kind_display(),
        "subject": notice.subject,
        "ref": _("%(number)s “%(subject)s”") % {"number": notice.number, "subject": notice.subject},
        "n": submission,
    }
    if submission > 1 and verb in _RESUBMITTED:
        return _RESUBMITTED[verb]() % values
    sentence = _SENTENCES.get(verb)
    return sentence() % values if sentence else _title(notice)


def _notify(notice: Notice, verb: str, unit_id: int) -> None:
    # Written in the installation's language, as the e-mails are: the reader is not the actor
    # whose request this is.
    with translation.override(settings.LANGUAGE_CODE):
        title = notification_text(notice, verb, submission=_submission_number(notice, verb))
    notify(
        sub_district_id=notice.sub_district_id,
        unit_id=unit_id,
        verb=verb,
        title=title,
        url=_case_url(notice),
        subject=notice,
    )


def _notify_target(notice: Notice, verb: str) -> None:
    _notify(notice, verb, notice.target_id)


def _notify_issuer(notice: Notice, verb: str) -> None:
    _notify(notice, verb, notice.issuing_unit_id)


def _open_item(notice: Notice, kind: str, due_at, *, returned: bool = False) -> None:
    owner = notice.issuing_unit_id if kind == WI_VERIFY else notice.target_id
    workitems.open_item(
        kind=kind,
        subject=notice,
        owner_unit_id=owner,
        sub_district_id=notice.sub_district_id,
        title=_title(notice),
        reference=notice.number,
        url=_case_url(notice),
        due_at=due_at,
        returned=returned,
    )


def _files_info(items) -> list[dict]:
    return [
        {"id": e.pk, "name": e.original_name, "size": e.size, "sha256": e.sha256} for e in items
    ]


def _kept_files(model, subject_ids, file_ids) -> list[Evidence]:
    """The files of a returned version (its reply or its measures) chosen to be kept: only files
    of that version, else the page was not the current one (409)."""
    file_ids = set(file_ids)
    if not file_ids:
        return []
    found = list(
        Evidence.objects.filter(
            pk__in=file_ids,
            subject_type=ContentType.objects.get_for_model(model),
            subject_id__in=list(subject_ids),
        ).order_by("id")
    )
    if len(found) != len(file_ids):
        raise Conflict(_("A file to keep is not one of the returned version's files."))
    return found


def _check_issuing_unit(acting_user, unit_id: int, *, sub_district_id: int | None = None) -> Unit:
    """The unit issues notices (the Office or a lead department of the sub-district) and the
    person may issue for it; the deadline engine (acting_user None) names the sub-district."""
    if acting_user is not None:
        sub_district_id = acting_user.sub_district_id
    unit = Unit.objects.filter(pk=unit_id, sub_district_id=sub_district_id).first()
    if unit is None or unit.kind not in (UnitKind.OFFICE, UnitKind.DEPARTMENT):
        raise ValidationError(_("Notices are issued by the Office or a lead department."))
    if acting_user is not None and not can_issue_for(acting_user, unit.pk):
        raise PermissionDenied(_("You cannot issue notices for this unit."))
    return unit


def _check_target(sub_district_id: int, unit_id: int) -> Unit:
    unit = Unit.objects.filter(
        pk=unit_id,
        sub_district_id=sub_district_id,
        kind=UnitKind.COMMUNITY,
        is_active=True,
    ).first()
    if unit is None:
        raise ValidationError(_("Choose a community Party committee of this sub-district."))
    return unit


def _next_number(notice: Notice, issued_at: dt.datetime) -> str:
    year = workdays.local_date(issued_at).year
    NoticeCounter.objects.bulk_create(
        [NoticeCounter(sub_district_id=notice.sub_district_id, year=year, kind=notice.kind)],
        ignore_conflicts=True,
    )
    counter = NoticeCounter.objects.select_for_update().get(
        sub_district_id=notice.sub_district_id, year=year, kind=notice.kind
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{year}-{NUMBER_MARK[notice.kind]}-{counter.last:03d}"


# --- stale forms ------------------------------------------------------------------------------
# Every form of the case page carries what it acts on, as the page showed it: the state of the
# notice, the version of the reply or measures, the extension request, the interview record. When
# the notice has moved on since (a double click, a page left open while someone else acted), the
# submit is refused with 409 and changes nothing: a second 退回 must not return the step before.

STALE_STATE = gettext_noop(
    "This notice changed after the page was opened: it is now “%(state)s”. Nothing was done; "
    "open the case again to see what happened."
)
STALE_VERSION = gettext_noop(
    "This notice changed after the page was opened: a newer reply or newer measures were "
    "submitted (now “%(state)s”). Nothing was done; open the case again to see them."
)
STALE_OTHER = gettext_noop(
    "This notice changed after the page was opened (now “%(state)s”): what the form acted on "
    "is no longer current. Nothing was done; open the case again to see what happened."
)


def _stale(notice: Notice, msgid: str = STALE_STATE) -> Conflict:
    """The 409 of a stale form, in the user's language, with a link to the case."""
    return Conflict(_(msgid) % {"state": notice.get_state_display()}, url=_case_url(notice))


def latest_reply_version(notice: Notice) -> int:
    """The version number of the notice's latest reply; 0 before the first."""
    return notice.replies.order_by("-version").values_list("version", flat=True).first() or 0


def latest_measures_version(notice: Notice) -> int:
    """The version number of the notice's latest measures; 0 before the first."""
    return notice.measure_sets.order_by("-version").values_list("version", flat=True).first() or 0


def interview_fingerprint(notice: Notice) -> str:
    """A short digest of the interview record as it stands (the interview form carries it)."""
    fields = (
        notice.interview_date.isoformat() if notice.interview_date else "",
        notice.interview_place,
        notice.interview_attendees,
        notice.interview_summary,
    )
    return hashlib.sha256("\x1f".join(fields).encode()).hexdigest()[:16]


def draft_fingerprint(notice: Notice) -> str:
    """A short digest of a draft as it stands (its edit form carries it): a draft saved by
    someone else since the page was opened is never overwritten."""
    content = json.dumps(_draft_content(notice), sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()[:16]


def _check_expected(
    notice: Notice,
    *,
    expected_state: str | None,
    expected_version: int | None = None,
    version_of: Callable[[Notice], int] | None = None,
) -> None:
    """409 when the form's expected state or version is not the notice's (None: not checked)."""
    if expected_state is not None and expected_state != notice.state:
        raise _stale(notice)
    stale_version = expected_version is not None and version_of is not None
    if stale_version and int(expected_version) != version_of(notice):
        raise _stale(notice, STALE_VERSION)


def check_form_current(
    notice: Notice, *, action: str, expected_state=None, expected_version=None
) -> None:
    """409 when the reply or measures form was sent from a page that is no longer current: such
    a form is not shown again with its errors, on a page that no longer offers it. Read without
    a lock; the service checks again under its lock."""
    _check_expected(
        notice,
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=latest_reply_version if action == "reply" else latest_measures_version,
    )


def _lock(notice_id: int, acting_user) -> Notice:
    notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
    if notice is None or not access.can_see(acting_user, notice):
        raise Http404
    return notice


def _transition(
    *,
    notice_id: int,
    acting_user,
    action: str,
    method: str,
    event_type: str,
    apply: Callable[[Notice], dict] | None = None,
    conflict_message: str | None = None,
    expected_state: str | None = None,
    expected_version: int | None = None,
    version_of: Callable[[Notice], int] | None = None,
) -> Notice:
    """The shape of every transition: lock, 404/403/409 (stale form or wrong state), change, save,
    audit (one row)."""
    with evidence.removed_if_failed(), transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, action):
            raise PermissionDenied(_("Your role does not allow this action on this notice."))
        _check_expected(
            notice,
            expected_state=expected_state,
            expected_version=expected_version,
            version_of=version_of,
        )
        bound = getattr(notice, method)
        if not can_proceed(bound):
            raise Conflict(
                conflict_message
                or _("This notice is “%(state)s”: that action is not possible now.")
                % {"state": notice.get_state_display()}
            )
        before = _snapshot(notice)
        try:
            bound()
        except TransitionNotAllowed as exc:  # a condition changed under us
            raise Conflict() from exc
        extra = apply(notice) if apply else {}
        fields = ["state", "current_due_at", "updated_at", *extra.pop("_fields", [])]
        try:
            notice.save(update_fields=sorted(set(fields)))
        except ConcurrentTransition as exc:
            raise Conflict(_("Someone else acted on this notice a moment ago.")) from exc
        audit_record(
            event_type=event_type,
            actor=acting_user,
            subject=notice,
            before=before,
            after={**_snapshot(notice), **extra},
            ip=current_ip(),
        )
    return notice


# --- create, edit, issue ----------------------------------------------------------------------


def notice_create(*, acting_user, data: NoticeInput, target_id: int) -> Notice:
    """Save a draft notice."""
    data = _validate_input(data)
    unit = _check_issuing_unit(acting_user, data.issuing_unit_id)
    target = _check_target(acting_user.sub_district_id, target_id)
    return _save_draft(data, unit=unit, target=target, acting_user=acting_user)


def _save_draft(
    data: NoticeInput,
    *,
    unit: Unit,
    target: Unit,
    acting_user=None,
    job: str = "",
    escalated_from=None,
) -> Notice:
    """Store a checked draft and its one audit row (by a person, or by a job when acting_user is
    None)."""
    with transaction.atomic():
        notice = Notice(
            sub_district_id=unit.sub_district_id,
            kind=data.kind,
            issuing_unit=unit,
            target=target,
            created_by=acting_user,
            subject=data.subject,
            problem=data.problem,
            basis=data.basis,
            interview_required=data.interview_required,
            escalated_from=escalated_from,
        )
        _set_deadline_spec(notice, data)
        notice.save()
        audit_record(
            event_type="notice.create",
            actor=acting_user,
            job=job,
            subject=notice,
            after=_draft_content(notice),
            ip=current_ip() if acting_user is not None else None,
        )
    return notice


# Art. 11: every step has a deadline. The next notice of the ladder keeps the deadlines the
# escalated one was given while they still lie ahead; once a date has passed (the usual reason to
# escalate) both deadlines are counted in working days from the new notice's own day of issue:
# the ones the old notice gave, or these.
ESCALATED_REPLY_WORKDAYS = 5
ESCALATED_MEASURES_WORKDAYS = 15


def escalation_input(notice: Notice, today: dt.date | None = None) -> NoticeInput:
    """R11.2: the content of the next notice of the ladder, prefilled from the escalated one —
    same issuer, subject and problem; a basis naming the notice it comes from; an interview for
    an opinion letter; its deadlines (see ESCALATED_REPLY_WORKDAYS)."""
    today = today or workdays.local_date(timezone.now())
    new_kind = ESCALATES_TO[notice.kind]
    basis = _("Escalated from %(number)s.") % {"number": notice.number}
    if notice.basis:
        basis += "\n" + notice.basis
    dates = [d for d in (notice.reply_due_date, notice.measures_due_date) if d is not None]
    if all(d > today for d in dates):
        reply = Deadline(notice.reply_due_date, notice.reply_due_workdays)
        measures = Deadline(notice.measures_due_date, notice.measures_due_workdays)
    else:
        days = notice.reply_due_workdays or ESCALATED_REPLY_WORKDAYS
        reply = Deadline(workdays=days)
        measures = Deadline(
            workdays=max(notice.measures_due_workdays or ESCALATED_MEASURES_WORKDAYS, days)
        )
    return NoticeInput(
        kind=new_kind,
        issuing_unit_id=notice.issuing_unit_id,
        subject=notice.subject,
        problem=notice.problem,
        basis=basis[:MAX_BASIS],
        reply_due=reply,
        measures_due=measures,
        interview_required=new_kind == NoticeKind.OPINION or notice.interview_required,
    )


def _escalated_draft(notice: Notice, *, acting_user=None, job: str = "") -> Notice:
    """The one way the draft of an escalated notice is made, by the issuer (notice_escalate) or
    by the deadline engine (notice_escalate_automatically, acting_user None): the same input
    checks, the same issuer and target checks, the same content."""
    data = _validate_input(escalation_input(notice))
    unit = _check_issuing_unit(
        acting_user, data.issuing_unit_id, sub_district_id=notice.sub_district_id
    )
    target = _check_target(notice.sub_district_id, notice.target_id)
    return _save_draft(
        data, unit=unit, target=target, acting_user=acting_user, job=job, escalated_from=notice
    )


def _set_deadline_spec(notice: Notice, data: NoticeInput) -> None:
    notice.reply_due_date = data.reply_due.date
    notice.reply_due_workdays = data.reply_due.workdays
    notice.measures_due_date = data.measures_due.date
    notice.measures_due_workdays = data.measures_due.workdays


def _draft_content(notice: Notice) -> dict:
    return {
        "kind": notice.kind,
        "issuing_unit": notice.issuing_unit_id,
        "target": notice.target_id,
        "subject": notice.subject,
        "problem": notice.problem,
        "basis": notice.basis,
        "reply_due_date": notice.reply_due_date,
        "reply_due_workdays": notice.reply_due_workdays,
        "measures_due_date": notice.measures_due_date,
        "measures_due_workdays": notice.measures_due_workdays,
        "interview_required": notice.interview_required,
        "escalated_from": notice.escalated_from_id,
    }


# The columns an edit of a draft writes (the content of _draft_content but the escalation link,
# which an edit never changes).
DRAFT_FIELDS = [
    "kind",
    "issuing_unit",
    "target",
    "subject",
    "problem",
    "basis",
    "reply_due_date",
    "reply_due_workdays",
    "measures_due_date",
    "measures_due_workdays",
    "interview_required",
    "updated_at",
]


def notice_update_draft(
    *,
    notice_id: int,
    acting_user,
    data: NoticeInput,
    target_id: int,
    expected_draft: str | None = None,
) -> Notice:
    """Change a draft before it is issued (never over a version saved since `expected_draft`)."""
    data = _validate_input(data)
    with transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, "edit"):
            raise PermissionDenied
        if notice.state != S.DRAFT:
            raise Conflict(_("Only a draft can be edited."))
        if expected_draft is not None and expected_draft != draft_fingerprint(notice):
            raise _stale(notice, STALE_OTHER)
        if notice.escalated_from_id and int(target_id) != notice.target_id:
            # R11.2: the next notice of the ladder goes to the community of the one it escalates.
            raise ValidationError(
                _("An escalated notice goes to the community of the notice it escalates.")
            )
        before = _draft_content(notice)
        notice.kind = data.kind
        notice.issuing_unit = _check_issuing_unit(acting_user, data.issuing_unit_id)
        notice.target = _check_target(acting_user.sub_district_id, target_id)
        notice.subject, notice.problem, notice.basis = data.subject, data.problem, data.basis
        notice.interview_required = data.interview_required
        _set_deadline_spec(notice, data)
        after = _draft_content(notice)
        if after == before:
            return notice  # saved unchanged: nothing to store, nothing to audit
        # Several Office staff edit a draft: write only what the edit form changes.
        notice.save(update_fields=DRAFT_FIELDS)
        audit_record(
            event_type="notice.update",
            actor=acting_user,
            subject=notice,
            before=before,
            after=after,
            ip=current_ip(),
        )
    return notice


def issue_deadlines(
    reply_due: Deadline, measures_due: Deadline, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime]:
    """The reply and measures deadlines a notice issued at `now` gets (Art. 11); the
    confirmation page states them before the act."""
    reply = reply_due.resolve(now)
    measures = measures_due.resolve(now)
    if reply <= now:
        raise ValidationError(_("The reply deadline must be after the day of issue."))
    if measures < reply:
        raise ValidationError(_("The measures deadline cannot be before the reply deadline."))
    return reply, measures


def _issue_apply(acting_user, now: dt.datetime, job: str = "") -> Callable[[Notice], dict]:
    def apply(notice: Notice) -> dict:
        reply, measures = issue_deadlines(
            Deadline(notice.reply_due_date, notice.reply_due_workdays),
            Deadline(notice.measures_due_date, notice.measures_due_workdays),
            now,
        )
        notice.number = _next_number(notice, now)
        notice.issued_at, notice.issued_by = now, acting_user
        notice.reply_due_at, notice.measures_due_at = reply, measures
        notice.current_due_at = reply
        workitems.close_items(subject=notice, kinds=[WI_ESCALATION_DRAFT])
        _open_item(notice, WI_REPLY, reply)
        _notify_target(notice, "notice.issued")
        if notice.escalated_from_id:
            _complete_escalation(notice, acting_user, now, job=job)
        return {
            "_fields": ["number", "issued_at", "issued_by", "reply_due_at", "measures_due_at"],
            "issued_at": now,
        }

    return apply


def notice_issue(*, notice_id: int, acting_user, expected_state: str | None = None) -> Notice:
    """签发: number the notice, fix its deadlines, put it into the community's inbox."""
    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="issue",
        method="issue",
        event_type="notice.issue",
        apply=_issue_apply(acting_user, timezone.now()),
        expected_state=expected_state,
    )


def notice_bulk_issue(*, acting_user, data: NoticeInput, target_ids: Sequence[int]) -> list[Notice]:
    """The Office issues one notice to several communities at once: one each, one transaction."""
    targets = list(dict.fromkeys(int(t) for t in target_ids))
    if not targets:
        raise ValidationError(_("Choose at least one community."))
    if len(targets) > 500:
        raise ValidationError(_("At most 500 communities at once."))
    with transaction.atomic():
        notices = [notice_create(acting_user=acting_user, data=data, target_id=t) for t in targets]
        return [
            notice_issue(notice_id=n.pk, acting_user=acting_user, expected_state=S.DRAFT)
            for n in notices
        ]


def notice_new(
    *, acting_user, token, data: NoticeInput, target_ids: Sequence[int], issue_now: bool
) -> list[Notice]:
    """The new-notice form, sent once: its one-time token is claimed (409 if it was before: a
    double click or a resent page creates nothing twice) and the notices are issued to the
    communities at once (签发), or one draft is saved — all in one transaction."""
    with transaction.atomic():
        submissions.submission_claim(token=token, acting_user=acting_user, url=reverse("ledger"))
        if issue_now:
            return notice_bulk_issue(acting_user=acting_user, data=data, target_ids=target_ids)
        if len(target_ids) != 1:
            raise ValidationError(
                _(
                    "A draft is for one community; to issue to several communities at once, "
                    "use 签发."
                )
            )
        return [notice_create(acting_user=acting_user, data=data, target_id=target_ids[0])]


def notice_save_draft(
    *,
    notice_id: int,
    acting_user,
    data: NoticeInput,
    target_id: int,
    expected_draft: str | None = None,
    issue: bool = False,
) -> Notice:
    """The edit page's save, and its 签发 (`issue`): one write, both happen or neither."""
    with transaction.atomic():
        notice = notice_update_draft(
            notice_id=notice_id,
            acting_user=acting_user,
            data=data,
            target_id=target_id,
            expected_draft=expected_draft,
        )
        if issue:
            notice = notice_issue(
                notice_id=notice_id, acting_user=acting_user, expected_state=S.DRAFT
            )
        return notice


# --- community: reply and measures ------------------------------------------------------------


def notice_reply(
    *,
    notice_id: int,
    acting_user,
    text: str,
    files: Sequence = (),
    keep_file_ids: Sequence[int] = (),
    expected_state: str | None = None,
    expected_version: int | None = None,
) -> Notice:
    """提交答复: the community replies in writing (or explains), with attachments. The form
    names the latest reply it saw (0 before the first), so that a returned reply is read first.
    After a return, files of the returned reply may be kept (`keep_file_ids`)."""
    text = clean_text(text, label=_("Reply"), max_length=MAX_TEXT)
    checked = evidence.check_uploads(files)
    evidence.check_file_count(len(checked), len(set(keep_file_ids)))
    now = timezone.now()

    def apply(notice: Notice) -> dict:
        previous = notice.replies.order_by("-version").first()
        kept = _kept_files(Reply, [previous.pk] if previous else [], keep_file_ids)
        version = notice.replies.count() + 1
        reply = Reply.objects.create(
            notice=notice, version=version, text=text, submitted_by=acting_user, submitted_at=now
        )
        stored = [evidence.store_copy(e, subject=reply, user=acting_user) for e in kept]
        stored += [
            evidence.store(
                c, subject=reply, sub_district_id=notice.sub_district_id, user=acting_user
            )
            for c in checked
        ]
        workitems.close_items(subject=notice, kinds=[WI_REPLY])
        notice.current_due_at = notice.measures_due_at
        _open_item(notice, WI_MEASURES, notice.measures_due_at)
        _notify_issuer(notice, "notice.replied")
        return {
            "reply_version": version,
            "text": text,
            "files": _files_info(stored),
            "late": bool(notice.reply_due_at and now > notice.reply_due_at),
        }

    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="reply",
        method="reply",
        event_type="notice.reply",
        apply=apply,
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=latest_reply_version,
    )


def notice_submit_measures(
    *,
    notice_id: int,
    acting_user,
    measures: Sequence[MeasureInput],
    expected_state: str | None = None,
    expected_version: int | None = None,
) -> Notice:
    """提交整改措施: a list of measures, each with a responsible person, date and attachments."""
    if not measures:
        raise ValidationError(_("Enter at least one measure."))
    if len(measures) > MAX_MEASURES:
        raise ValidationError(_("At most %(n)s measures.") % {"n": MAX_MEASURES})
    cleaned = []
    for m in measures:
        evidence.check_file_count(len(m.files or []), len(set(m.keep_file_ids or [])))
        cleaned.append(
            (
                clean_text(m.description, label=_("Measure"), max_length=MAX_REASON),
                clean_text(m.responsible_person, label=_("Responsible person"), max_length=100),
                m.planned_date,
                evidence.check_uploads(m.files),
                m.keep_file_ids,
            )
        )
    now = timezone.now()

    def apply(notice: Notice) -> dict:
        previous = notice.measure_sets.order_by("-version").first()
        previous_measures = previous.measures.values_list("pk", flat=True) if previous else []
        kept = {
            e.pk: e
            for e in _kept_files(
                Measure, previous_measures, [i for *_, keep in cleaned for i in keep]
            )
        }
        version = notice.measure_sets.count() + 1
        measure_set = MeasureSet.objects.create(
            notice=notice, version=version, submitted_by=acting_user, submitted_at=now
        )
        listed = []
        for position, (description, person, planned, checked, keep) in enumerate(cleaned, start=1):
            measure = Measure.objects.create(
                measure_set=measure_set,
                position=position,
                description=description,
                responsible_person=person,
                planned_date=planned,
            )
            stored = [evidence.store_copy(kept[i], subject=measure, user=acting_user) for i in keep]
            stored += [
                evidence.store(
                    c, subject=measure, sub_district_id=notice.sub_district_id, user=acting_user
                )
                for c in checked
            ]
            listed.append(
                {
                    "no": position,
                    "description": description,
                    "responsible_person": person,
                    "planned_date": planned,
                    "files": _files_info(stored),
                }
            )
        workitems.close_items(subject=notice, kinds=[WI_MEASURES])
        notice.current_due_at = None
        _open_item(notice, WI_VERIFY, None)
        _notify_issuer(notice, "notice.measures_submitted")
        return {
            "measures_version": version,
            "measures": listed,
            "late": bool(notice.measures_due_at and now > notice.measures_due_at),
        }

    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="measures",
        method="submit_measures",
        event_type="notice.measures",
        apply=apply,
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=latest_measures_version,
    )


# --- issuer: return, verify, withdraw, escalate, interview -------------------------------------


def notice_return(
    *,
    notice_id: int,
    acting_user,
    reason: str,
    new_due: dt.date | None = None,
    expected_state: str | None = None,
    expected_version: int | None = None,
) -> Notice:
    """退回: send the reply (or the measures) back for rework, with a reason. The form names
    the state and the version it returns: sent again (a double click, a resubmitted page), it is
    a 409, never a return of the reply behind the measures."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    now = timezone.now()
    if new_due is not None and workdays.end_of_day(new_due) <= now:
        raise ValidationError(_("A new deadline must be in the future."))
    expected = {"expected_state": expected_state, "expected_version": expected_version}
    with transaction.atomic():
        state = _lock(notice_id, acting_user).state
        if (expected_state or state) == S.MEASURES_SUBMITTED:
            return _return_measures(notice_id, acting_user, reason, new_due, now, **expected)
        return _return_reply(notice_id, acting_user, reason, new_due, now, **expected)


def _mark_returned(version, acting_user, now, reason: str) -> None:
    """The returned reply or measure set keeps its text, with who returned it, when and why."""
    version.returned_at, version.returned_by, version.return_reason = now, acting_user, reason
    version.save(update_fields=["returned_at", "returned_by", "return_reason"])


def _return_reply(notice_id, acting_user, reason, new_due, now, **expected) -> Notice:
    def apply(notice: Notice) -> dict:
        reply = notice.replies.order_by("-version").first()
        _mark_returned(reply, acting_user, now, reason)
        fields = []
        if new_due is not None:
            notice.reply_due_at = workdays.end_of_day(new_due)
            notice.measures_due_at = max(notice.measures_due_at, notice.reply_due_at)
            fields = ["reply_due_at", "measures_due_at"]
        workitems.close_items(subject=notice, kinds=[WI_MEASURES], state=WorkItemState.CANCELLED)
        notice.current_due_at = notice.reply_due_at
        _open_item(notice, WI_REPLY, notice.reply_due_at, returned=True)
        _notify_target(notice, "notice.reply_returned")
        return {
            "_fields": fields,
            "returned": "reply",
            "reply_version": reply.version,
            "reason": reason,
        }

    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="return",
        method="return_reply",
        event_type="notice.return_reply",
        apply=apply,
        version_of=latest_reply_version,
        **expected,
    )


def _return_measures(notice_id, acting_user, reason, new_due, now, **expected) -> Notice:
    def apply(notice: Notice) -> dict:
        measure_set = notice.measure_sets.order_by("-version").first()
        _mark_returned(measure_set, acting_user, now, reason)
        fields = []
        if new_due is not None:
            notice.measures_due_at = max(workdays.end_of_day(new_due), notice.reply_due_at)
            fields = ["measures_due_at"]
        workitems.close_items(subject=notice, kinds=[WI_VERIFY])
        notice.current_due_at = notice.measures_due_at
        _open_item(notice, WI_MEASURES, notice.measures_due_at, returned=True)
        _notify_target(notice, "notice.measures_returned")
        return {
            "_fields": fields,
            "returned": "measures",
            "measures_version": measure_set.version,
            "reason": reason,
        }

    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="return",
        method="return_measures",
        event_type="notice.return_measures",
        apply=apply,
        version_of=latest_measures_version,
        **expected,
    )


def notice_verify(
    *,
    notice_id: int,
    acting_user,
    comment: str = "",
    expected_state: str | None = None,
    expected_version: int | None = None,
) -> Notice:
    """验收销号: the issuer accepts the measures (the version the form names) and closes the
    notice."""
    comment = clean_text(comment, label=_("Comment"), max_length=MAX_REASON, required=False)
    now = timezone.now()

    def apply(notice: Notice) -> dict:
        measure_set = notice.measure_sets.order_by("-version").first()
        measure_set.verified_at, measure_set.verify_comment = now, comment
        measure_set.save(update_fields=["verified_at", "verify_comment"])
        workitems.close_items(subject=notice)
        notice.closed_at, notice.current_due_at = now, None
        _notify_target(notice, "notice.verified")
        return {
            "_fields": ["closed_at"],
            "comment": comment,
            "measures_version": measure_set.version,
        }

    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="verify",
        method="verify",
        event_type="notice.verify",
        apply=apply,
        expected_state=expected_state,
        expected_version=expected_version,
        version_of=latest_measures_version,
    )


def notice_withdraw(
    *, notice_id: int, acting_user, reason: str, expected_state: str | None = None
) -> Notice:
    """撤回: the issuer withdraws a draft or an issued notice, with a reason."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    now = timezone.now()

    def apply(notice: Notice) -> dict:
        was_issued = bool(notice.issued_at)
        workitems.close_items(subject=notice, state=WorkItemState.CANCELLED)
        notice.closed_at, notice.close_reason, notice.current_due_at = now, reason, None
        if was_issued:
            _notify_target(notice, "notice.withdrawn")
        extra = {"_fields": ["closed_at", "close_reason"], "reason": reason}
        if notice.escalated_from_id and not was_issued:
            # R11.2: a dropped escalation draft lets the notice it escalated (still open) be
            # escalated again; the link is kept in this row.
            extra["escalation_of"] = notice.escalated_from_id
            notice.escalated_from = None
            extra["_fields"].append("escalated_from")
        return extra

    return _transition(
        notice_id=notice_id,
        acting_user=acting_user,
        action="withdraw",
        method="withdraw",
        event_type="notice.withdraw",
        apply=apply,
        expected_state=expected_state,
    )


# Art. 11, R11.2: the issuer's draft of an escalated notice waits in the issuer's inbox this many
# working days; the escalated notice stays open (and in the community's inbox) until it is issued.
ESCALATION_DRAFT_WORKDAYS = 2


def _escalation_draft_due(now: dt.datetime) -> dt.datetime:
    day, _counted = workdays.add_workdays_or_weekdays(
        workdays.local_date(now), ESCALATION_DRAFT_WORKDAYS
    )
    return workdays.end_of_day(day)


def _open_escalation_draft_item(new: Notice, original: Notice, now: dt.datetime) -> None:
    workitems.open_item(
        kind=WI_ESCALATION_DRAFT,
        subject=new,
        owner_unit_id=new.issuing_unit_id,
        sub_district_id=new.sub_district_id,
        title=_("%(kind)s escalating %(number)s: %(subject)s")
        % {"kind": new.get_kind_display(), "number": original.number, "subject": new.subject},
        reference=original.number,
        url=reverse("notice_edit", args=[new.pk]),
        due_at=_escalation_draft_due(now),
    )


def _draft_escalation(
    notice: Notice, *, reason: str, now: dt.datetime, acting_user=None, job: str = ""
) -> Notice:
    """The draft of the next notice of the ladder, for the locked `notice`, with its audit row on
    the escalated notice. A sweep proposal, if any, is hereby accepted. The escalated notice itself
    changes only when the draft is issued (_complete_escalation)."""
    if Notice.objects.filter(escalated_from=notice).exists():
        raise Conflict(
            _(
                "%(number)s already has an escalated notice waiting to be issued: issue it or "
                "withdraw it."
            )
            % {"number": notice.number},
            url=_case_url(notice),
        )
    EscalationProposal.objects.filter(notice=notice, state="open").update(
        state="accepted", decided_by=acting_user, decided_at=now
    )
    workitems.close_items(subject=notice, kinds=[WI_PROPOSAL])
    new = _escalated_draft(notice, acting_user=acting_user, job=job)
    audit_record(
        event_type="notice.escalation_drafted",
        actor=acting_user,
        job=job,
        subject=notice,
        before={"state": notice.state},
        after={
            "state": notice.state,
            "reason": reason,
            "escalated_to": new.pk,
            "escalated_kind": new.kind,
            "automatic": acting_user is None,
        },
        ip=current_ip() if acting_user is not None else None,
    )
    return new


def _escalation_reason(notice: Notice) -> str:
    """The reason the issuer gave when the escalation was drafted (its audit row)."""
    from core.models import AuditEvent

    row = (
        AuditEvent.objects.filter(
            event_type="notice.escalation_drafted",
            subject_type=ContentType.objects.get_for_model(Notice),
            subject_id=str(notice.pk),
        )
        .order_by("-id")
        .values_list("after", flat=True)
        .first()
    )
    return (row or {}).get("reason", "")


def _complete_escalation(new: Notice, acting_user, now: dt.datetime, *, job: str = "") -> None:
    """签发 of an escalated notice: the notice it escalates becomes 已升级 now, leaves the
    community's inbox, and is closed with the reason given when the escalation was drafted. If
    that notice moved on meanwhile (verified, withdrawn, replied in time), nothing is issued."""
    original = Notice.objects.select_for_update().get(pk=new.escalated_from_id)
    if not can_proceed(original.escalate):
        raise Conflict(
            _(
                "%(number)s is now “%(state)s” and can no longer be escalated: this draft "
                "cannot be issued. Withdraw it, or make a new notice."
            )
            % {"number": original.number, "state": original.get_state_display()},
            url=_case_url(new),
        )
    before = _snapshot(original)
    original.escalate()
    workitems.close_items(subject=original, state=WorkItemState.CANCELLED)
    reason = _escalation_reason(original)
    original.closed_at, original.close_reason, original.current_due_at = now, reason, None
    original.save(
        update_fields=["state", "closed_at", "close_reason", "current_due_at", "updated_at"]
    )
    _notify_target(original, "notice.escalated")
    audit_record(
        event_type="notice.escalate",
        actor=acting_user,
        job=job,
        subject=original,
        before=before,
        after={
            **_snapshot(original),
            "reason": reason,
            "escalated_to": new.pk,
            "escalated_kind": new.kind,
            "automatic": acting_user is None,
        },
        ip=current_ip() if acting_user is not None else None,
    )


def notice_escalate(
    *, notice_id: int, acting_user, reason: str, expected_state: str | None = None
) -> Notice:
    """升级 (Art. 11, R11.2): the issuer drafts the next notice of the ladder — a contact sheet
    becomes a supervision sheet, a supervision sheet an opinion letter with an interview — with
    the reason (required). Returns the draft, prefilled and linked. The escalated notice stays
    open, its deadlines running and in the community's inbox, until the draft is issued; the
    draft waits in the issuer's inbox with a due time."""
    reason = clean_text(reason, label=_("Reason for escalation"), max_length=MAX_REASON)
    now = timezone.now()
    with transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, "escalate"):
            raise PermissionDenied(_("Your role does not allow this action on this notice."))
        _check_expected(notice, expected_state=expected_state)
        if not can_proceed(notice.escalate):
            raise Conflict(
                _(
                    "An opinion letter cannot be escalated further; only an issued "
                    "notice, or one whose measures are overdue, can be escalated."
                )
            )
        new = _draft_escalation(notice, reason=reason, now=now, acting_user=acting_user)
        _open_escalation_draft_item(new, notice, now)
    return new


def notice_record_interview(
    *,
    notice_id: int,
    acting_user,
    date: dt.date,
    place: str,
    attendees: str,
    summary: str,
    expected_interview: str | None = None,
) -> Notice:
    """Record the interview (面谈) held about this notice. The form carries the fingerprint of
    the record it was opened with: it never overwrites a record someone saved since."""
    place = clean_text(place, label=_("Place"), max_length=200)
    attendees = clean_text(attendees, label=_("Attendees"), max_length=500)
    summary = clean_text(summary, label=_("Summary"), max_length=MAX_TEXT)
    with transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, "interview"):
            raise PermissionDenied
        if notice.state in (S.DRAFT, S.WITHDRAWN):
            raise Conflict(_("An interview is recorded on an issued notice."))
        if expected_interview is not None and expected_interview != interview_fingerprint(notice):
            raise _stale(notice, STALE_OTHER)
        before = {
            "interview_date": notice.interview_date,
            "interview_place": notice.interview_place,
            "interview_attendees": notice.interview_attendees,
            "interview_summary": notice.interview_summary,
        }
        if before == {
            "interview_date": date,
            "interview_place": place,
            "interview_attendees": attendees,
            "interview_summary": summary,
        }:
            return notice  # the record reopened and saved unchanged
        notice.interview_date, notice.interview_place = date, place
        notice.interview_attendees, notice.interview_summary = attendees, summary
        notice.save(
            update_fields=[
                "interview_date",
                "interview_place",
                "interview_attendees",
                "interview_summary",
                "updated_at",
            ]
        )
        audit_record(
            event_type="notice.interview",
            actor=acting_user,
            subject=notice,
            before=before,
            after={
                "interview_date": date,
                "interview_place": place,
                "interview_attendees": attendees,
                "interview_summary": summary,
            },
            ip=current_ip(),
        )
    return notice


def proposal_dismiss(
    *, notice_id: int, acting_user, reason: str, expected_proposal: int | None = None
) -> None:
    """The issuer dismisses the sweep's escalation proposal, with a reason."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    with transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, "escalate"):
            raise PermissionDenied
        proposal = (
            EscalationProposal.objects.select_for_update()
            .filter(notice=notice, state="open")
            .first()
        )
        if proposal is None:
            raise Conflict(_("There is no open escalation proposal for this notice."))
        if expected_proposal is not None and int(expected_proposal) != proposal.pk:
            raise _stale(notice, STALE_OTHER)
        now = timezone.now()
        proposal.state, proposal.decided_by, proposal.decided_at = "dismissed", acting_user, now
        proposal.reason = reason
        proposal.save(update_fields=["state", "decided_by", "decided_at", "reason"])
        workitems.close_items(subject=notice, kinds=[WI_PROPOSAL])
        audit_record(
            event_type="notice.escalation_dismissed",
            actor=acting_user,
            subject=notice,
            before={"proposal": proposal.pk, "state": "open"},
            after={"proposal": proposal.pk, "state": "dismissed", "reason": reason},
            ip=current_ip(),
        )


# --- deadline extensions (延期申请) -------------------------------------------------------------

EXTENSIBLE = {
    "reply": (S.ISSUED, "reply_due_at", WI_REPLY),
    "measures": (S.REPLIED, "measures_due_at", WI_MEASURES),
}


def extension_request(
    *,
    notice_id: int,
    acting_user,
    new_date: dt.date,
    reason: str,
    expected_state: str | None = None,
) -> DeadlineExtension:
    """The community asks for more time for the deadline it is working to now, with a reason;
    the form names the state it saw, so that a date asked for the reply never moves the measures
    deadline."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON)
    now = timezone.now()
    with transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, "extension"):
            raise PermissionDenied(_("Your role does not allow this action on this notice."))
        _check_expected(notice, expected_state=expected_state)
        deadline = next(
            (k for k, (state, _f, _w) in EXTENSIBLE.items() if notice.state == state), None
        )
        if deadline is None:
            raise Conflict(
                _("An extension can be asked for only while a reply or measures are due.")
            )
        if notice.extensions.filter(state="pending").exists():
            raise Conflict(_("An extension request for this notice is already waiting."))
        current = getattr(notice, EXTENSIBLE[deadline][1])
        if workdays.end_of_day(new_date) <= max(current, now):
            raise ValidationError(_("The new date must be later than the current deadline."))
        extension = DeadlineExtension.objects.create(
            notice=notice,
            deadline=deadline,
            current_due_at=current,
            requested_date=new_date,
            reason=reason,
            requested_by=acting_user,
            requested_at=now,
        )
        workitems.open_item(
            kind=WI_EXTENSION,
            subject=notice,
            owner_unit_id=notice.issuing_unit_id,
            sub_district_id=notice.sub_district_id,
            title=_("Extension requested: %(title)s") % {"title": _title(notice)},
            reference=notice.number,
            url=_case_url(notice),
            due_at=None,
        )
        _notify_issuer(notice, "notice.extension_requested")
        audit_record(
            event_type="notice.extension_requested",
            actor=acting_user,
            subject=notice,
            after={
                "extension": extension.pk,
                "deadline": deadline,
                "due_at": current,
                "requested_date": new_date,
                "reason": reason,
            },
            ip=current_ip(),
        )
    return extension


def extension_decide(
    *,
    notice_id: int,
    acting_user,
    grant: bool,
    reason: str = "",
    new_date: dt.date | None = None,
    expected_extension: int | None = None,
) -> DeadlineExtension:
    """The issuer grants (possibly another date than asked) or refuses; both audited. A granted
    extension moves the deadline, the inbox item and its reminders to the new due time. The form
    names the request it decides: a newer request is never decided from an older page."""
    reason = clean_text(reason, label=_("Reason"), max_length=MAX_REASON, required=not grant)
    now = timezone.now()
    with transaction.atomic():
        notice = _lock(notice_id, acting_user)
        if not access.can_act(acting_user, notice, "decide_extension"):
            raise PermissionDenied(_("Your role does not allow this action on this notice."))
        extension = (
            DeadlineExtension.objects.select_for_update()
            .filter(notice=notice, state="pending")
            .first()
        )
        if extension is None:
            raise Conflict(_("There is no extension request waiting for this notice."))
        if expected_extension is not None and int(expected_extension) != extension.pk:
            raise _stale(notice, STALE_OTHER)
        state, field, item_kind = EXTENSIBLE[extension.deadline]
        before = {"extension": extension.pk, "state": "pending", field: getattr(notice, field)}
        after = {"extension": extension.pk, "reason": reason}
        if grant:
            if notice.state != state:
                raise Conflict(_("The notice has moved on; this deadline no longer applies."))
            due = workdays.end_of_day(new_date or extension.requested_date)
            if due <= now:
                raise ValidationError(_("A new deadline must be in the future."))
            setattr(notice, field, due)
            fields = [field]
            if field == "reply_due_at" and notice.measures_due_at < due:
                notice.measures_due_at = due
                fields.append("measures_due_at")
            notice.current_due_at = due
            notice.save(update_fields=[*fields, "current_due_at", "updated_at"])
            # The inbox item follows; overdue is recorded again if the new time passes too.
            workitems.reschedule_items(subject=notice, kinds=[item_kind], due_at=due)
            extension.state, extension.granted_due_at = "granted", due
            after.update({"state": "granted", field: due})
        else:
            extension.state = "refused"
            after.update({"state": "refused"})
        extension.decided_by, extension.decided_at = acting_user, now
        extension.decision_reason = reason
        extension.save(
            update_fields=["state", "granted_due_at", "decided_by", "decided_at", "decision_reason"]
        )
        workitems.close_items(subject=notice, kinds=[WI_EXTENSION])
        _notify_target(notice, f"notice.extension_{extension.state}")
        audit_record(
            event_type=f"notice.extension_{extension.state}",
            actor=acting_user,
            subject=notice,
            before=before,
            after=after,
            ip=current_ip(),
        )
    return extension


def notice_escalate_automatically(*, notice_id: int, job: str) -> Notice | None:
    """Art. 11, R11.2: in a sub-district that escalates automatically, the deadline engine
    escalates an overdue notice itself and issues the next notice of the ladder, made exactly as
    the issuer's escalation makes it. No person acts: the audit rows name the job. Returns the new
    notice, or None if nothing was due or the next notice could not be made (its issuer or its
    community no longer qualifies): then nothing changes and the proposal waits for the issuer."""
    try:
        return _escalate_automatically(notice_id, job)
    except (ValidationError, PermissionDenied) as exc:
        logger.warning("automatic escalation of notice %s left to the issuer: %s", notice_id, exc)
        return None


def _escalate_automatically(notice_id: int, job: str) -> Notice | None:
    now = timezone.now()
    with transaction.atomic():
        notice = Notice.objects.select_for_update().filter(pk=notice_id).first()
        if notice is None or not can_proceed(notice.escalate):
            return None
        if Notice.objects.filter(escalated_from=notice).exists():
            return None  # the issuer's own escalation is waiting in the issuer's inbox
        reason = _("Escalated automatically: a deadline was missed.")
        new = _draft_escalation(notice, reason=reason, now=now, job=job)
        try:
            with transaction.atomic():
                new.issue()
                extra = _issue_apply(None, now, job=job)(new)
                fields = ["state", "current_due_at", "updated_at", *extra.pop("_fields")]
                new.save(update_fields=fields)
                audit_record(
                    event_type="notice.issue",
                    job=job,
                    subject=new,
                    before={"state": S.DRAFT},
                    after={**_snapshot(new), **extra},
                )
        except ValidationError:
            # The calendar cannot count the deadline (next year unknown): the Office issues it;
            # the escalated notice stays open until then.
            new.refresh_from_db()
            _open_escalation_draft_item(new, notice, now)
            _notify_issuer(new, "notice.escalation_draft")
    return new
