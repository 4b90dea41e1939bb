"""The assessment year (Art. 4–8, 10, 12, 16, 17, 19): its settings, catalogue and every input.

The results are never stored: services read these rows, feed the pure engine (appraisal.domain)
and show what it returns (scoring.md: store nothing that can be recomputed).
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from core.models import SubDistrict, Unit

D = Decimal
POINTS = {"max_digits": 7, "decimal_places": 2}


def default_rank_bonus() -> list[str]:
    return ["0.30", "0.20", "0.10"]


def default_bottom_penalty() -> list[str]:
    return ["0.20", "0.10"]


def default_grade_bands() -> list[dict]:
    return [
        {"grade": "优胜", "min": "90.00"},
        {"grade": "合格", "min": "60.00"},
        {"grade": "不合格", "min": "0.00"},
    ]


class YearStatus(models.TextChoices):
    PLANNING = "planning", _("Planning")
    IN_PROGRESS = "in_progress", _("In progress")
    YEAR_END = "year_end", _("Year-end appraisal")
    DECIDED = "decided", _("Decided")
    PUBLISHED = "published", _("Published")
    CLOSED = "closed", _("Closed")


# Art. 16: from the Leading Group's decision on, the inputs are closed — a change needs a
# correction approved by the Leading Group; published and closed years also keep their results as
# stored versions (versions.py), so they are "frozen".
INPUTS_CLOSED = (YearStatus.DECIDED, YearStatus.PUBLISHED, YearStatus.CLOSED)
FROZEN = (YearStatus.PUBLISHED, YearStatus.CLOSED)
# The order of the steps, for the year page's progress line (the transitions are on the model).
STEPS = (
    YearStatus.PLANNING,
    YearStatus.IN_PROGRESS,
    YearStatus.YEAR_END,
    YearStatus.DECIDED,
    YearStatus.PUBLISHED,
    YearStatus.CLOSED,
)


def no_open_correction(year: "AssessmentYear") -> bool:
    """A year does not move on while a correction is applied or awaits its republication."""
    return not Correction.objects.filter(
        year=year,
        state__in=[CorrectionState.APPROVED, CorrectionState.AWAITING_REPUBLICATION],
    ).exists()


def full_marks_allow_decision(year: "AssessmentYear") -> bool:
    """Art. 4: no category may exceed the full-marks ratio without the Leading Group's exception.
    Computed at the instant the decision fixes (year.as_of); remembered for that instant."""
    from .results import compute

    memo = getattr(year, "_decision_check", None)
    if memo is None or memo[0] != year.as_of:
        memo = (year.as_of, compute(year, as_of=year.as_of).results)
        year._decision_check = memo
    return memo[1].can_finalise


class AssessmentYear(models.Model):
    """One sub-district's assessment of one year, with every *setting* of scoring.md."""

    sub_district = models.ForeignKey(
        SubDistrict, on_delete=models.PROTECT, related_name="+", verbose_name=_("sub-district")
    )
    year = models.PositiveSmallIntegerField(
        _("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    # The year's life (Art. 4–6, 14–16) as a state machine: each transition is one service of
    # appraisal.services with one audit row; nothing assigns the field directly.
    status = FSMField(
        _("status"),
        max_length=16,
        choices=YearStatus.choices,
        default=YearStatus.PLANNING,
        protected=True,
    )
    # scoring.md settings
    performance_weight = models.DecimalField(_("performance weight"), default=D("0.80"), **POINTS)
    satisfaction_weight = models.DecimalField(_("satisfaction weight"), default=D("0.20"), **POINTS)
    full_marks_ratio = models.DecimalField(_("full-marks ratio"), default=D("0.15"), **POINTS)
    bonus_cap = models.DecimalField(_("bonus cap"), default=D("5.00"), **POINTS)
    bonus_district = models.DecimalField(_("district-level bonus"), default=D("1.00"), **POINTS)
    bonus_city = models.DecimalField(_("city-level bonus"), default=D("2.00"), **POINTS)
    bonus_province = models.DecimalField(_("province-level bonus"), default=D("3.00"), **POINTS)
    bonus_national = models.DecimalField(_("national-level bonus"), default=D("5.00"), **POINTS)
    vote_satisfied = models.DecimalField(_("value of “satisfied”"), default=D("100"), **POINTS)
    vote_basically = models.DecimalField(
        _("value of “basically satisfied”"), default=D("60"), **POINTS
    )
    vote_dissatisfied = models.DecimalField(_("value of “dissatisfied”"), default=D("0"), **POINTS)
    debriefing_weight = models.DecimalField(_("debriefing weight"), default=D("0.50"), **POINTS)
    democratic_weight = models.DecimalField(_("democratic weight"), default=D("0.50"), **POINTS)
    rank_bonus = models.JSONField(_("additions for ranks 1, 2, 3 …"), default=default_rank_bonus)
    bottom_penalty = models.JSONField(
        _("deductions for bottom positions 1, 2 …"), default=default_bottom_penalty
    )
    grade_bands = models.JSONField(_("grade bands"), default=default_grade_bands)
    # Product settings (not arithmetic): bonus-claim declaration deadline and publicity length.
    claim_declare_by = models.DateTimeField(_("bonus declaration deadline"), null=True, blank=True)
    publicity_working_days = models.PositiveSmallIntegerField(
        _("publicity period (working days)"), default=5
    )
    # The instant results are computed for (a bundle's as_of, or fixed at decision); null = now.
    as_of = models.DateTimeField(_("results as of"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("assessment year")
        verbose_name_plural = _("assessment years")
        ordering = ["-year"]
        constraints = [models.UniqueConstraint(fields=["sub_district", "year"], name="year_unique")]

    def __str__(self) -> str:
        return f"{self.year}"

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        # The protected status refuses assignment once loaded; a reload from the database is not
        # a transition, so it may set it again.
        if fields is None or "status" in fields:
            self.__dict__.pop("status", None)
        super().refresh_from_db(using=using, fields=fields, from_queryset=from_queryset)

    @property
    def frozen(self) -> bool:
        """Published or closed: its results are stored versions (Art. 16)."""
        return self.status in FROZEN

    @property
    def inputs_closed(self) -> bool:
        """Decided, published or closed: input only through an approved correction (Art. 16)."""
        return self.status in INPUTS_CLOSED

    # Transitions only assign fields; the services lock, check, save and audit.
    @transition(field=status, source=YearStatus.PLANNING, target=YearStatus.IN_PROGRESS)
    def start(self) -> None:
        """Art. 5–8: the catalogue is fixed, the assessed communities and their reports set."""

    @transition(field=status, source=YearStatus.IN_PROGRESS, target=YearStatus.YEAR_END)
    def open_year_end(self) -> None:
        """Art. 14, 15: self-evaluation, the joint team's verification and the votes."""

    @transition(
        field=status,
        source=YearStatus.YEAR_END,
        target=YearStatus.DECIDED,
        conditions=[no_open_correction, full_marks_allow_decision],
    )
    def decide(self) -> None:
        """Art. 16: the Leading Group's decision fixes the results as of `as_of`."""

    @transition(
        field=status,
        source=YearStatus.DECIDED,
        target=YearStatus.PUBLISHED,
        conditions=[no_open_correction],
    )
    def publish(self, *, at) -> None:
        """Art. 16, 17: the results are made known."""
        self.published_at = at

    @transition(
        field=status,
        source=YearStatus.PUBLISHED,
        target=YearStatus.CLOSED,
        conditions=[no_open_correction],
    )
    def close(self) -> None:
        """The year is archived; its results stay as published."""


class AssessedUnit(models.Model):
    """A community assessed in the year (the set is fixed when the year starts)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="assessed_unit_unique"),
            models.UniqueConstraint(fields=["year", "code"], name="assessed_code_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    """One of the four categories (Art. 4), with its lead unit (a department or the Office)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="categories")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=100)
    department = models.CharField(_("lead department"), max_length=100)
    lead_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    max_points = models.DecimalField(_("maximum points"), **POINTS)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="category_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="category_max_nonneg"),
        ]

    def __str__(self) -> str:
        return self.name


class Schedule(models.TextChoices):
    NONE = "none", _("No reports")
    ONCE = "once", _("Once")
    ANNUAL = "annual", _("Annual")
    QUARTERLY = "quarterly", _("Quarterly")
    MONTHLY = "monthly", _("Monthly")
    CUSTOM = "custom", _("Other (imported)")


SCHEDULE_REPORTS = {
    Schedule.NONE: 0,
    Schedule.ONCE: 1,
    Schedule.ANNUAL: 1,
    Schedule.QUARTERLY: 4,
    Schedule.MONTHLY: 12,
}


class Indicator(models.Model):
    """An indicator of the catalogue (Art. 5) with its reporting schedule (Art. 7)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="indicators")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="indicators")
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    max_points = models.DecimalField(_("maximum points"), **POINTS)
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    schedule = models.CharField(
        _("reporting schedule"), max_length=10, choices=Schedule.choices, default=Schedule.NONE
    )
    required_reports = models.PositiveSmallIntegerField(_("required reports"), default=0)
    # For a one-off report: its due date (the others fall due at the end of their period).
    due_date = models.DateField(_("due date (one-off)"), null=True, blank=True)
    sort_order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["year", "code"], name="indicator_code_unique"),
            models.CheckConstraint(condition=Q(max_points__gte=0), name="indicator_max_nonneg"),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Report(models.Model):
    """One periodic report of a community for an indicator (Art. 7, 8, 12).

    Late and missing reports are kept and excluded from scoring (scoring.md §1).
    """

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="reports")
    period = models.PositiveSmallIntegerField(_("period"))
    due_at = models.DateTimeField(_("due"))
    # When its task appears in the community's inbox: the start of its period (null: never, as
    # for the reports of a year imported from a bundle).
    opens_at = models.DateTimeField(_("open from"), null=True, blank=True)
    task_opened = models.BooleanField(_("task opened"), default=False)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    text = models.TextField(_("report"), blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["indicator__code", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "unit", "period"], name="report_unique_period"
            ),
            models.CheckConstraint(condition=Q(period__gte=1), name="report_period_positive"),
        ]
        indexes = [
            models.Index(fields=["year", "unit"], name="report_year_unit"),
            # The sweep's opener looks only at reports whose task is still to open.
            models.Index(
                fields=["opens_at"],
                condition=Q(task_opened=False, submitted_at__isnull=True),
                name="report_task_to_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} #{self.period}"

    @property
    def late(self) -> bool:
        return self.submitted_at is not None and self.submitted_at > self.due_at

    @property
    def counted(self) -> bool:
        return self.submitted_at is not None and self.submitted_at <= self.due_at


class Score(models.Model):
    """The lead department's score of an indicator for a unit, and the joint team's value."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    department_score = models.DecimalField(_("department score"), null=True, blank=True, **POINTS)
    verified_score = models.DecimalField(
        _("joint-team verified score"), null=True, blank=True, **POINTS
    )
    comment = models.TextField(_("comment"), blank=True)
    scored_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    scored_at = models.DateTimeField(_("scored at"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "unit"], name="score_unique"),
            models.CheckConstraint(
                condition=Q(department_score__gte=0) | Q(department_score__isnull=True),
                name="score_department_nonneg",
            ),
            models.CheckConstraint(
                condition=Q(verified_score__gte=0) | Q(verified_score__isnull=True),
                name="score_verified_nonneg",
            ),
        ]
        indexes = [models.Index(fields=["year", "unit"], name="score_year_unit")]

    def __str__(self) -> str:
        return f"{self.indicator_id}/{self.unit_id}"


class Adjustment(models.Model):
    """An in-year addition or deduction (加扣分, Art. 10)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="adjustments")
    points = models.DecimalField(_("points"), **POINTS)
    reason = models.TextField(_("reason"))
    source = models.CharField(_("source"), max_length=100)
    date = models.DateField(_("date"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("adjustment")
        verbose_name_plural = _("adjustments")
        ordering = ["date", "id"]
        indexes = [models.Index(fields=["year", "unit"], name="adjustment_year_unit")]

    def __str__(self) -> str:
        return f"{self.points} {self.reason[:40]}"


class SpotCheck(models.Model):
    """A spot check of a unit (Art. 10), possibly leading to a rectification notice."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    indicator = models.ForeignKey(
        Indicator, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    date = models.DateField(_("date"))
    findings = models.TextField(_("findings"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        ordering = ["-date", "-id"]

    def __str__(self) -> str:
        return f"{self.date} {self.findings[:40]}"


class FraudState(models.TextChoices):
    PROPOSED = "proposed", _("Awaiting the Leading Group")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class FraudFinding(ConcurrentTransitionMixin, models.Model):
    """A finding of falsification (Art. 19): once the Leading Group upholds it, the unit's whole
    category scores zero."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    state = FSMField(
        _("state"),
        max_length=10,
        choices=FraudState.choices,
        default=FraudState.PROPOSED,
        protected=True,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("fraud finding")
        verbose_name_plural = _("fraud findings")
        ordering = ["-recorded_at"]

    def __str__(self) -> str:
        return self.reason[:60]

    @transition(field=state, source=FraudState.PROPOSED, target=FraudState.UPHELD)
    def uphold(self):
        pass

    @transition(field=state, source=FraudState.PROPOSED, target=FraudState.REJECTED)
    def reject(self):
        pass


class BonusLevel(models.TextChoices):
    DISTRICT = "district", _("District")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")
    NATIONAL = "national", _("National")


class ClaimState(models.TextChoices):
    DECLARED = "declared", _("Declared")
    OFFICE_REVIEWED = "office_reviewed", _("Reviewed by the Office")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class BonusClaim(ConcurrentTransitionMixin, models.Model):
    """A bonus claim (附加项, Art. 6): declared → Office review → Leading Group → publicity."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=10, choices=BonusLevel.choices)
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = FSMField(
        _("status"),
        max_length=16,
        choices=ClaimState.choices,
        default=ClaimState.DECLARED,
        protected=True,
    )
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    declare_by = models.DateTimeField(_("declaration deadline"))
    publicity_ends_at = models.DateTimeField(_("publicity ends"), null=True, blank=True)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    review_note = models.TextField(_("Office review"), blank=True)
    decision_note = models.TextField(_("Leading Group decision"), blank=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bonus claim")
        verbose_name_plural = _("bonus claims")
        ordering = ["sort_order", "id"]
        indexes = [models.Index(fields=["year", "unit"], name="claim_year_unit")]

    def __str__(self) -> str:
        return self.title

    @property
    def late(self) -> bool:
        return self.declared_at is None or self.declared_at > self.declare_by

    @transition(field=status, source=ClaimState.DECLARED, target=ClaimState.OFFICE_REVIEWED)
    def review(self):
        pass

    @transition(field=status, source=ClaimState.OFFICE_REVIEWED, target=ClaimState.APPROVED)
    def approve(self):
        pass

    @transition(
        field=status,
        source=[ClaimState.DECLARED, ClaimState.OFFICE_REVIEWED],
        target=ClaimState.REJECTED,
    )
    def reject(self):
        pass


class VoteKind(models.TextChoices):
    DEBRIEFING = "debriefing", _("Debriefing appraisal")
    DEMOCRATIC = "democratic", _("Democratic evaluation")


class Vote(models.Model):
    """A satisfaction tally (scoring.md §4)."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=VoteKind.choices)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basically = models.PositiveIntegerField(_("basically satisfied"), default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "unit", "kind"], name="vote_unique")]

    def __str__(self) -> str:
        return f"{self.kind} {self.satisfied}/{self.basically}/{self.dissatisfied}"


class Comprehensive(models.Model):
    """The comprehensive evaluation input of a unit (Art. 17), from outside this system."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("comprehensive score"), **POINTS)
    advanced = models.BooleanField(_("holds “advanced”"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "unit"], name="comprehensive_unique"),
            models.CheckConstraint(
                condition=Q(score__gte=0) & Q(score__lte=100), name="comprehensive_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score}"


class FullMarksException(models.Model):
    """The Leading Group allows a category to exceed the full-marks cap (Art. 4), with a reason."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    reason = models.TextField(_("reason"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "category"], name="full_marks_exception_unique")
        ]

    def __str__(self) -> str:
        return self.reason[:60]


class CorrectionState(models.TextChoices):
    REQUESTED = "requested", _("Awaiting the Leading Group")
    APPROVED = "approved", _("Approved: inputs open")
    REFUSED = "refused", _("Refused")
    CLOSED = "closed", pgettext_lazy("correction", "Closed")
    # Art. 16: corrected results are published again only when the Leading Group approves.
    AWAITING_REPUBLICATION = "awaiting_republication", _("Closed: republication awaits approval")
    REPUBLISHED = "republished", _("Closed and republished")
    REPUBLICATION_REFUSED = "republication_refused", _("Closed: republication refused")


# A correction in one of these states blocks another correction and the year's next step.
OPEN_CORRECTION_STATES = (
    CorrectionState.REQUESTED,
    CorrectionState.APPROVED,
    CorrectionState.AWAITING_REPUBLICATION,
)


class Correction(models.Model):
    """A correction of a published year (issue 5 item 1): requested by the Office with a reason,
    approved by the Leading Group; while approved and not closed, the year's inputs may change
    (each change audited as usual); closing it freezes the year again."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="corrections")
    reason = models.TextField(_("reason"))
    state = models.CharField(
        _("state"),
        max_length=24,
        choices=CorrectionState.choices,
        default=CorrectionState.REQUESTED,
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The Leading Group's decision on republishing the corrected results (Art. 16).
    republication_decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    republication_decided_at = models.DateTimeField(
        _("republication decided at"), null=True, blank=True
    )
    republication_note = models.TextField(_("republication note"), blank=True)

    class Meta:
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return self.reason[:60]


class ResultsVersionQuerySet(models.QuerySet):
    """Published results are never changed nor removed: there is no update path."""

    def update(self, **kwargs):
        raise TypeError("a published results version cannot be changed")

    def delete(self):
        raise TypeError("a published results version cannot be deleted")


class ResultsVersion(models.Model):
    """One publication of the year's results (Art. 16, 17): the figures every viewer outside the
    Office sees, frozen as they were published. Version 1 is written when the year is published;
    each later one when the Leading Group approves the republication of a closed correction.

    `figures` is appraisal.versions.snapshot() of the results (Decimals as strings), `settings_used`
    the scoring settings as the year bundle writes them, `bundle_sha256` the SHA-256 of the
    canonical bytes of the year bundle the figures were computed from (versions.bundle_sha256).
    Written once by versions.version_write, with its audit row; never updated or deleted."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    published_at = models.DateTimeField(_("published at"))
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    as_of = models.DateTimeField(_("results as of"))
    figures = models.JSONField(_("figures"))
    figures_sha256 = models.CharField(_("SHA-256 of the figures"), max_length=64)
    settings_used = models.JSONField(_("settings used"))
    bundle_sha256 = models.CharField(_("SHA-256 of the year bundle"), max_length=64)
    reason = models.TextField(_("reason"), blank=True)
    correction = models.OneToOneField(
        Correction,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="version",
    )

    objects = ResultsVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("published results version")
        verbose_name_plural = _("published results versions")
        ordering = ["year", "number"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="results_version_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="results_version_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year_id} v{self.number}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise TypeError("a published results version cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("a published results version cannot be deleted")
