"""The assessment year (Art. 4–6, 14–16): its settings (scoring.md), its life as a state
machine, and the communities it assesses."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, transition

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
# stored versions (results.versions), so they are "frozen".
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
    from .corrections import Correction, CorrectionState  # they refer to the year

    return not Correction.objects.filter(
        year=year,
        state__in=[CorrectionState.APPROVED, CorrectionState.AWAITING_REPUBLICATION],
    ).exists()


def full_marks_allow_decision(year: "AssessmentYear") -> bool:
    """Art. 4: no category may exceed the full-marks ratio without the Leading Group's exception.
    Computed at the instant the decision fixes (year.as_of); remembered for that instant."""
    from ..results import compute

    memo = getattr(year, "_decision_check", None)
    if memo is None or memo[0] != year.as_of:
        # The full-marks figures only: no per-report detail is needed for the check.
        memo = (year.as_of, compute(year, as_of=year.as_of, details=False).results)
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
    # Art. 5: each lead department drafts its category; the Office approves the whole catalogue
    # before the year starts. Any change to the catalogue afterwards withdraws the approval.
    catalogue_approved_at = models.DateTimeField(_("catalogue approved at"), null=True, blank=True)
    catalogue_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("catalogue approved by"),
    )
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
