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


# --- Next year's rectification plans (Art. 20) ---------------------------------------------------
#
# Each community turns the problems fed back to it (its feedback letter, Art. 16) into next
# year's key rectification tasks — goal, measures, schedule, responsible person — and reports
# the plan to the Leading Group (Art. 20). The plan is the artifact of workflows.flows.plan:
# drafted by the community, reviewed by the Office, accepted by the Leading Group, then carried
# out item by item (问题清单 → 整改方案 → 推进表 → 对账销号). A plan item keeps a stable
# reference to where its problem was found, so this app imports nothing of appraisal.


class PlanState(models.TextChoices):
    DRAFTING = "drafting", _("Being drafted")
    SUBMITTED = "submitted", _("Submitted to the Office")
    REVIEWED = "reviewed", _("With the Leading Group")
    ACCEPTED = "accepted", _("Accepted: being carried out")
    COMPLETED = "completed", _("Completed: every item closed")


P = PlanState


class RectificationPlan(ConcurrentTransitionMixin, models.Model):
    """整改方案: one community's plan for the problems of one assessment year (Art. 20)."""

    sub_district = models.ForeignKey(
        SubDistrict, on_delete=models.PROTECT, related_name="+", verbose_name=_("sub-district")
    )
    unit = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        related_name="rectification_plans",
        verbose_name=_("community"),
    )
    # The assessment year whose feedback the plan answers; the work is done in year + 1.
    year = models.PositiveSmallIntegerField(_("assessment year"))
    # Stable reference to the appraisal that fed it back ("appraisal.year:<pk>"), and the letter.
    source = models.CharField(_("source"), max_length=80)
    letter_url = models.CharField(_("feedback letter"), max_length=300, blank=True)
    state = FSMField(
        _("state"), default=P.DRAFTING, choices=PlanState.choices, protected=True, max_length=12
    )
    due_at = models.DateTimeField(_("plan due"))
    # 1 for the first draft, 2 after the first return …
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    # The last return: who returned it (the Office or the Leading Group) and why.
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("returned by"),
    )
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_level = models.CharField(
        _("returned by"),
        max_length=16,
        blank=True,
        choices=[("office", _("the Office")), ("leading_group", _("the Leading Group"))],
    )
    return_reason = models.TextField(_("reason for return"), max_length=5000, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("submitted by"),
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    # What the Office tells the Leading Group when it passes the plan on (Art. 20).
    office_opinion = models.TextField(_("the Office's opinion"), max_length=5000, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
    )
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("rectification plan")
        verbose_name_plural = _("rectification plans")
        ordering = ["-year", "unit__code"]
        constraints = [
            models.UniqueConstraint(fields=["unit", "year"], name="plan_one_per_unit_year"),
        ]
        indexes = [
            models.Index(fields=["sub_district", "year", "state"], name="plan_sd_year_state"),
        ]

    def __str__(self) -> str:
        return f"{self.year} {self.unit}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("plan_detail", args=[self.pk])

    @property
    def is_editable(self) -> bool:
        return self.state == P.DRAFTING

    # --- transitions: assign fields only; services do the rest ----------------------------------

    @transition(field=state, source=P.DRAFTING, target=P.SUBMITTED)
    def submit(self):
        pass

    @transition(field=state, source=P.SUBMITTED, target=P.REVIEWED)
    def office_accept(self):
        pass

    @transition(field=state, source=[P.SUBMITTED, P.REVIEWED], target=P.DRAFTING)
    def send_back(self):
        pass

    @transition(field=state, source=P.REVIEWED, target=P.ACCEPTED)
    def accept(self):
        pass

    @transition(field=state, source=P.ACCEPTED, target=P.COMPLETED)
    def complete(self):
        pass


class PlanItemOrigin(models.TextChoices):
    FEEDBACK = "feedback", _("Problem fed back")
    OWN = "own", _("Added by the community")


class PlanItemSource(models.TextChoices):
    """Where a fed-back problem was found (the feedback letter's kinds, Art. 12, 14, 16, 19)."""

    OPINION = "opinion", _("Lead department's opinion")
    TEAM = "team", _("Joint assessment team's comment")
    REPORT = "report", _("Report not counted")
    FRAUD = "fraud", _("Fraud finding")
    NOTICE = "notice", _("Rectification notice")
    CARRIED = "carried", _("Item of the previous plan not closed")
    OWN = "own", _("Found by the community")


class PlanItemState(models.TextChoices):
    DRAFT = "draft", _("In the draft plan")
    IN_PROGRESS = "in_progress", _("Being rectified")
    AWAITING = "awaiting", _("Close-out requested")
    CLOSED = "closed", _("Closed (销号)")


IS = PlanItemState


class PlanItem(ConcurrentTransitionMixin, models.Model):
    """One key rectification task of a plan: a problem, its goal, measures, milestones and
    responsible person (Art. 20); closed one by one (整改一项、销号一项)."""

    plan = models.ForeignKey(RectificationPlan, on_delete=models.PROTECT, related_name="items")
    position = models.PositiveSmallIntegerField(_("no."))
    origin = models.CharField(
        _("origin"), max_length=10, choices=PlanItemOrigin.choices, default=PlanItemOrigin.FEEDBACK
    )
    source_kind = models.CharField(
        _("found in"), max_length=10, choices=PlanItemSource.choices, default=PlanItemSource.OWN
    )
    # A stable reference to where the problem was found ("appraisal:2026:opinion:1:1.2", or
    # "rectification.notice:17"), and the page that shows it (empty if none).
    source_ref = models.CharField(_("source reference"), max_length=160, blank=True)
    source_url = models.CharField(_("source page"), max_length=300, blank=True)
    category_code = models.CharField(_("category"), max_length=20, blank=True)
    category_name = models.CharField(_("category"), max_length=200, blank=True)
    indicator_code = models.CharField(_("indicator"), max_length=20, blank=True)
    indicator_name = models.CharField(_("indicator"), max_length=300, blank=True)
    # The lead department of the category the problem came from: it follows the item too.
    department = models.ForeignKey(
        Unit,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lead department"),
    )
    problem = models.TextField(_("problem"), max_length=5000)
    goal = models.TextField(_("rectification goal"), max_length=5000, blank=True)
    measures = models.TextField(_("rectification measures"), max_length=10000, blank=True)
    evidence_expected = models.TextField(_("evidence expected"), max_length=5000, blank=True)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("responsible person"),
    )
    state = FSMField(
        _("state"), default=IS.DRAFT, choices=PlanItemState.choices, protected=True, max_length=12
    )
    # The review: the last comment on the item when the plan was returned, and whether the
    # community still has to rework it.
    needs_rework = models.BooleanField(_("to rework"), default=False)
    review_comment = models.TextField(_("review comment"), max_length=5000, blank=True)
    # A problem found again: the earlier year's item it repeats (重复问题).
    repeated_from = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="repeated_in",
        verbose_name=_("repeats"),
    )
    close_requested_at = models.DateTimeField(_("close-out requested at"), null=True, blank=True)
    close_requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("close-out requested by"),
    )
    closing_summary = models.TextField(_("closing summary"), max_length=10000, blank=True)
    verified_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("closed by"),
    )
    verify_comment = models.TextField(_("verification comment"), max_length=5000, blank=True)
    return_reason = models.TextField(_("reason for return"), max_length=5000, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("plan item")
        verbose_name_plural = _("plan items")
        ordering = ["plan", "position"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "position"], name="planitem_position_unique"),
        ]
        indexes = [
            models.Index(fields=["plan", "state"], name="planitem_plan_state"),
            models.Index(fields=["category_code", "state"], name="planitem_category_state"),
        ]

    def __str__(self) -> str:
        return f"{self.plan} #{self.position}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("plan_item", args=[self.pk])

    @property
    def sub_district_id(self):
        return self.plan.sub_district_id

    # --- transitions --------------------------------------------------------------------------

    @transition(field=state, source=IS.DRAFT, target=IS.IN_PROGRESS)
    def start(self):
        pass

    @transition(field=state, source=IS.IN_PROGRESS, target=IS.AWAITING)
    def request_close(self):
        pass

    @transition(field=state, source=IS.AWAITING, target=IS.CLOSED)
    def close(self):
        pass

    @transition(field=state, source=IS.AWAITING, target=IS.IN_PROGRESS)
    def return_close(self):
        pass


class Milestone(models.Model):
    """A dated step of an item's schedule (整改进度): once the plan is accepted, each open
    milestone is an item of the community's 待办 with its due time, light and reminders."""

    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="milestones")
    position = models.PositiveSmallIntegerField(_("no."))
    title = models.CharField(_("milestone"), max_length=300)
    due_date = models.DateField(_("due date"))
    # The end of due_date in Asia/Shanghai (what the deadline engine compares with).
    due_at = models.DateTimeField(_("due"))
    # The date first agreed (an extension moves due_date, never this).
    planned_date = models.DateField(_("planned date"))
    done_at = models.DateTimeField(_("reached at"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reported by"),
    )
    # Escalated to a rectification notice (Art. 11) when missed.
    notice = models.ForeignKey(
        Notice,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="plan_milestones",
        verbose_name=_("notice"),
    )

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["item", "position"]
        constraints = [
            models.UniqueConstraint(fields=["item", "position"], name="milestone_position_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.item} · {self.title}"

    def get_absolute_url(self) -> str:
        return self.item.get_absolute_url() + f"#milestone-{self.pk}"

    @property
    def late(self) -> bool:
        """Reached after its due time, or not reached and past it."""
        return (self.done_at or timezone.now()) > self.due_at


class ProgressUpdate(models.Model):
    """推进表: a community's report of progress on an item, with its evidence (core Evidence on
    this row); it may report a milestone reached."""

    item = models.ForeignKey(PlanItem, on_delete=models.PROTECT, related_name="updates")
    milestone = models.ForeignKey(
        Milestone,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="updates",
        verbose_name=_("milestone reached"),
    )
    progress = models.TextField(_("progress"), max_length=10000)
    next_steps = models.TextField(_("next steps"), max_length=5000, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(_("submitted at"))

    class Meta:
        verbose_name = _("progress update")
        verbose_name_plural = _("progress updates")
        ordering = ["item", "submitted_at", "id"]

    def __str__(self) -> str:
        return f"{self.item} {self.submitted_at:%Y-%m-%d}"

    @property
    def sub_district_id(self):
        return self.item.plan.sub_district_id


class MilestoneExtension(models.Model):
    """延期: the community asks for a later date for a milestone with a reason; the Office grants
    it (the milestone's due time, its 待办 item and its reminders move) or refuses it."""

    milestone = models.ForeignKey(Milestone, on_delete=models.PROTECT, related_name="extensions")
    current_due_date = models.DateField(_("due before"))
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
    granted_date = models.DateField(_("new due date"), null=True, blank=True)

    class Meta:
        verbose_name = _("milestone extension")
        verbose_name_plural = _("milestone extensions")
        ordering = ["milestone", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["milestone"],
                condition=Q(state="pending"),
                name="milestone_extension_one_pending",
            ),
            models.CheckConstraint(
                condition=Q(requested_date__gt=F("current_due_date")),
                name="milestone_extension_later",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.milestone} → {self.requested_date}"
