"""Rectification notices (Art. 11): 整改联系单 / 督办单 / 意见书, one model with a kind.

A notice's life (R11.1): draft → issued → replied → measures submitted → verified; the issuer can
return a reply or the measures for rework, withdraw a draft or an issued notice, and escalate
(R11.2) a contact sheet to a supervision sheet, a supervision sheet to an opinion letter.

Transition methods only assign fields; services (services.py) lock, check, save and audit.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.models import SubDistrict, Unit


class NoticeKind(models.TextChoices):
    CONTACT = "contact", _("Rectification contact sheet")
    SUPERVISION = "supervision", _("Supervision sheet")
    OPINION = "opinion", _("Opinion letter")


# The character in the notice number: 2026-联-007.
NUMBER_MARK = {NoticeKind.CONTACT: "联", NoticeKind.SUPERVISION: "督", NoticeKind.OPINION: "意"}

# Escalation ladder (R11.2).
ESCALATES_TO = {
    NoticeKind.CONTACT: NoticeKind.SUPERVISION,
    NoticeKind.SUPERVISION: NoticeKind.OPINION,
}


class NoticeState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    ISSUED = "issued", _("Issued")
    REPLIED = "replied", _("Replied")
    MEASURES_SUBMITTED = "measures_submitted", _("Measures submitted")
    VERIFIED = "verified", _("Verified")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    ESCALATED = "escalated", _("Escalated")


S = NoticeState
OPEN_STATES = [S.ISSUED, S.REPLIED, S.MEASURES_SUBMITTED]


class NoticeCounter(models.Model):
    """The last number given per sub-district, year and kind (locked when a notice is issued)."""

    sub_district = models.ForeignKey(SubDistrict, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=12, choices=NoticeKind.choices)
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["sub_district", "year", "kind"], name="noticecounter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.kind}: {self.last}"


def _can_escalate(notice) -> bool:
    """Art. 11 / R11.2: an issued notice, or one whose measures are overdue, goes one step up the
    ladder; an opinion letter is the top."""
    if notice.kind not in ESCALATES_TO:
        return False
    if notice.state == NoticeState.ISSUED:
        return True
    return bool(notice.measures_due_at and notice.measures_due_at < timezone.now())


class Notice(ConcurrentTransitionMixin, models.Model):
    sub_district = models.ForeignKey(
        SubDistrict, on_delete=models.PROTECT, related_name="+", verbose_name=_("sub-district")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=NoticeKind.choices)
    number = models.CharField(_("number"), max_length=20, blank=True)
    state = FSMField(
        _("state"), default=S.DRAFT, choices=NoticeState.choices, protected=True, max_length=20
    )
    issuing_unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="issued_notices",
        verbose_name=_("issuing unit"),
    )
    target = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="received_notices",
        verbose_name=_("community"),
    )
    # Null when the deadline engine created it (automatic escalation): the audit names the job.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("created by"),
    )
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("issued by"),
    )
    subject = models.CharField(_("subject"), max_length=200)
    problem = models.TextField(_("problem found"), max_length=20000)
    basis = models.TextField(_("basis"), max_length=5000, blank=True)
    # Deadlines: given as a date or as N working days from issue; computed at issue.
    reply_due_date = models.DateField(_("reply due date"), null=True, blank=True)
    reply_due_workdays = models.PositiveSmallIntegerField(
        _("reply due in working days"), null=True, blank=True
    )
    measures_due_date = models.DateField(_("measures due date"), null=True, blank=True)
    measures_due_workdays = models.PositiveSmallIntegerField(
        _("measures due in working days"), null=True, blank=True
    )
    reply_due_at = models.DateTimeField(_("reply due"), null=True, blank=True)
    measures_due_at = models.DateTimeField(_("measures due"), null=True, blank=True)
    # The deadline the community is working to now (reply or measures), for lists and lights.
    current_due_at = models.DateTimeField(_("current deadline"), null=True, blank=True)
    interview_required = models.BooleanField(_("interview (面谈) required"), default=False)
    interview_date = models.DateField(_("interview date"), null=True, blank=True)
    interview_place = models.CharField(_("interview place"), max_length=200, blank=True)
    interview_attendees = models.CharField(_("attendees"), max_length=500, blank=True)
    interview_summary = models.TextField(_("interview summary"), max_length=20000, blank=True)
    escalated_from = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="escalated_to",
        verbose_name=_("escalated from"),
    )
    issued_at = models.DateTimeField(_("issued at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    close_reason = models.CharField(_("reason"), max_length=2000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rectification notice")
        verbose_name_plural = _("rectification notices")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sub_district", "number"],
                condition=~Q(number=""),
                name="notice_number_unique",
            ),
            models.CheckConstraint(
                condition=Q(reply_due_at__isnull=True)
                | Q(issued_at__isnull=True)
                | Q(reply_due_at__gt=F("issued_at")),
                name="notice_reply_due_after_issue",
            ),
            models.CheckConstraint(
                condition=Q(measures_due_at__isnull=True)
                | Q(reply_due_at__isnull=True)
                | Q(measures_due_at__gte=F("reply_due_at")),
                name="notice_measures_due_after_reply_due",
            ),
            models.CheckConstraint(
                condition=Q(issued_at__isnull=True) | ~Q(number=""),
                name="notice_issued_has_number",
            ),
        ]
        indexes = [
            models.Index(
                fields=["target", "state", "current_due_at"], name="notice_target_state_due"
            ),
            models.Index(
                fields=["sub_district", "state", "current_due_at"], name="notice_sd_state_due"
            ),
            models.Index(fields=["issuing_unit", "state"], name="notice_issuer_state"),
            models.Index(fields=["sub_district", "-issued_at"], name="notice_sd_issued"),
            # The ledger's light filters and deadline sort, across states.
            models.Index(fields=["sub_district", "current_due_at"], name="notice_sd_due"),
        ]

    def __str__(self) -> str:
        return f"{self.number or _('draft')} {self.subject}"

    @property
    def kind_mark(self) -> str:
        return NUMBER_MARK[self.kind]

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # --- transitions: assign fields only; services do the rest ----------------------------------

    @transition(field=state, source=S.DRAFT, target=S.ISSUED)
    def issue(self):
        pass

    @transition(field=state, source=S.ISSUED, target=S.REPLIED)
    def reply(self):
        pass

    @transition(field=state, source=S.REPLIED, target=S.MEASURES_SUBMITTED)
    def submit_measures(self):
        pass

    @transition(field=state, source=S.MEASURES_SUBMITTED, target=S.VERIFIED)
    def verify(self):
        pass

    @transition(field=state, source=S.REPLIED, target=S.ISSUED)
    def return_reply(self):
        pass

    @transition(field=state, source=S.MEASURES_SUBMITTED, target=S.REPLIED)
    def return_measures(self):
        pass

    @transition(field=state, source=[S.DRAFT, S.ISSUED], target=S.WITHDRAWN)
    def withdraw(self):
        pass

    @transition(
        field=state, source=[S.ISSUED, S.REPLIED], target=S.ESCALATED, conditions=[_can_escalate]
    )
    def escalate(self):
        pass


class Reply(models.Model):
    """A written reply or explanation (书面答复/说明); a return keeps it, then a new version."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="replies")
    version = models.PositiveSmallIntegerField(_("version"))
    text = models.TextField(_("reply"), max_length=20000)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    return_reason = models.TextField(_("reason for return"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("reply")
        verbose_name_plural = _("replies")
        ordering = ["notice", "version"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "version"], name="reply_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} v{self.version}"

    @property
    def sub_district_id(self):
        return self.notice.sub_district_id


class MeasureSet(models.Model):
    """One submission of rectification measures (整改举措); returns keep earlier versions."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="measure_sets")
    version = models.PositiveSmallIntegerField(_("version"))
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    return_reason = models.TextField(_("reason for return"), max_length=5000, blank=True)
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verify_comment = models.TextField(_("verification comment"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("measures")
        verbose_name_plural = _("measures")
        ordering = ["notice", "version"]
        constraints = [
            models.UniqueConstraint(fields=["notice", "version"], name="measureset_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.notice_id} measures v{self.version}"


class Measure(models.Model):
    measure_set = models.ForeignKey(MeasureSet, on_delete=models.PROTECT, related_name="measures")
    position = models.PositiveSmallIntegerField(_("no."))
    description = models.TextField(_("measure"), max_length=5000)
    responsible_person = models.CharField(_("responsible person"), max_length=100)
    planned_date = models.DateField(_("planned completion"))

    class Meta:
        verbose_name = _("measure")
        verbose_name_plural = _("measures")
        ordering = ["measure_set", "position"]

    def __str__(self) -> str:
        return self.description[:50]


class ProposalState(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted")
    DISMISSED = "dismissed", _("Dismissed")


class EscalationProposal(models.Model):
    """Raised by the deadline sweep when a notice's deadline passes (Art. 11, R11.2): the issuer
    accepts (the escalated notice is drafted) or dismisses it with a reason."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="proposals")
    deadline_kind = models.CharField(_("missed deadline"), max_length=40)
    due_at = models.DateTimeField(_("due"))
    created_at = models.DateTimeField(_("created at"))
    state = models.CharField(
        _("state"), max_length=10, choices=ProposalState.choices, default=ProposalState.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), max_length=5000, blank=True)

    class Meta:
        verbose_name = _("escalation proposal")
        verbose_name_plural = _("escalation proposals")
        constraints = [
            models.UniqueConstraint(
                fields=["notice"], condition=Q(state="open"), name="proposal_one_open_per_notice"
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice} → {self.get_state_display()}"


class ExtensionState(models.TextChoices):
    PENDING = "pending", _("Pending")
    GRANTED = "granted", _("Granted")
    REFUSED = "refused", _("Refused")


class DeadlineExtension(models.Model):
    """延期申请: the community asks for more time with a reason; the issuer grants a new due time
    or refuses. Reminders follow the new due time (the reminder ledger is keyed by it)."""

    notice = models.ForeignKey(Notice, on_delete=models.PROTECT, related_name="extensions")
    deadline = models.CharField(
        _("deadline"),
        max_length=10,
        choices=[("reply", _("Reply deadline")), ("measures", _("Measures deadline"))],
    )
    current_due_at = models.DateTimeField(_("due before"))
    requested_date = models.DateField(_("requested new date"))
    reason = models.TextField(_("reason"), max_length=5000)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    state = models.CharField(
        _("state"), max_length=10, choices=ExtensionState.choices, default=ExtensionState.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision"), max_length=5000, blank=True)
    granted_due_at = models.DateTimeField(_("new due time"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline extension")
        verbose_name_plural = _("deadline extensions")
        ordering = ["notice", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["notice"],
                condition=Q(state="pending"),
                name="extension_one_pending_per_notice",
            )
        ]

    def __str__(self) -> str:
        return f"{self.notice} {self.get_deadline_display()} → {self.requested_date}"
