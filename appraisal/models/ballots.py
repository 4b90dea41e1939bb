"""The satisfaction-evaluation stage of the year end (满意度评价, Art. 15; scoring.md §4): the
votes step of the year-end process (VoteRound) and the online anonymous ballots of a community's
all-member meeting (民主测评, BallotMeeting and its one-time BallotCodes).

Anonymity by construction: a code row holds only the SHA-256 of its token and whether it was
used — no time, no choice, no person. A vote marks its code used and adds one to the meeting's
counter in the same transaction; there is no row per ballot, so nothing stored links a code to
a choice or tells the order of the votes.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from core.models import Unit

from .year import AssessmentYear

__all__ = ["BallotCode", "BallotMeeting", "VoteRound"]


class VoteRound(models.Model):
    """One round of the votes step (the Leading Group can return it: round 2, 3 …). The tallies
    are the year's Vote rows; a confirmation keeps their snapshot, readable as 上一轮."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveSmallIntegerField(_("round"), default=1)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The tallies and scores as confirmed: {unit code: {...}} (services.ballots.tally_snapshot).
    snapshot = models.JSONField(_("confirmed tallies"), null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "round"], name="vote_round_unique"),
            models.CheckConstraint(condition=Q(round__gte=1), name="vote_round_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.year.year} votes round {self.round}"

    def get_absolute_url(self) -> str:
        return reverse("appraisal:vote_round", args=[self.year.year, self.round])

    @property
    def confirmed(self) -> bool:
        return self.confirmed_at is not None


class BallotMeeting(models.Model):
    """A community's all-member meeting voting online (民主测评): its codes, its live tally."""

    year = models.ForeignKey(AssessmentYear, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("meeting"), max_length=200)
    held_on = models.DateField(_("meeting date"))
    codes_issued = models.PositiveIntegerField(_("codes issued"), default=0)
    # Bumped when the unused codes are invalidated and a new sheet is minted.
    generation = models.PositiveSmallIntegerField(_("code generation"), default=1)
    satisfied = models.PositiveIntegerField(_("satisfied"), default=0)
    basically = models.PositiveIntegerField(_("basically satisfied"), default=0)
    dissatisfied = models.PositiveIntegerField(_("dissatisfied"), default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    class Meta:
        constraints = [
            # One open online ballot per community and year: two would split one tally.
            models.UniqueConstraint(
                fields=["year", "unit"],
                condition=Q(closed_at__isnull=True),
                name="ballot_meeting_one_open",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("appraisal:ballot_meeting", args=[self.year.year, self.pk])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def ballots(self) -> int:
        return self.satisfied + self.basically + self.dissatisfied


class BallotCode(models.Model):
    """A one-time code: the SHA-256 of its token and whether it has voted. Nothing else — no
    time, no choice — so that no record links a code to a vote or to the order of votes."""

    meeting = models.ForeignKey(BallotMeeting, on_delete=models.CASCADE, related_name="codes")
    token_hash = models.CharField(max_length=64, unique=True)
    used = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.token_hash[:8]
