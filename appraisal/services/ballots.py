"""The satisfaction-evaluation stage (满意度评价, Art. 15; scoring.md §4): the votes step of the
year-end process and the online anonymous ballots of a community's all-member meeting (民主测评).

Anonymity (Art. 15, issue 12 item 4): a ballot code is a 128-bit random token shown once — on
the sheet of QR codes returned by the request that mints it — and stored only as its SHA-256
with a used flag. A vote marks the code used and adds one to the meeting's counter in the same
transaction; it writes no audit row and no row of its own, so nothing links a code to a choice,
a person or the order of the votes. The meeting's creation, the invalidation of its codes and
its closing are audited (one row each), the closing with the tally it writes into the year's
democratic Vote.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, steps
from core.errors import Conflict

from ..domain import scoring as domain_scoring
from ..domain.model import Votes
from ..models import (
    AssessedUnit,
    AssessmentYear,
    BallotCode,
    BallotMeeting,
    Vote,
    VoteKind,
    VoteRound,
)
from ..results.compute import scoring_settings
from .common import audit, clean_text, guard_open, lock_year

# The most codes one meeting may mint at once: a large community's all-member meeting.
MAX_CODES = 2000
TOKEN_BYTES = 16  # 128 bits (issue 12: codes are unguessable, ≥ 128 bits)
CHOICES = ("satisfied", "basically", "dissatisfied")


# --- codes ----------------------------------------------------------------------------------


def new_token() -> str:
    """A one-time code: 128 random bits as 26 characters of RFC 4648 base32 (A–Z, 2–7), which a
    member can also type from the sheet — no 0/O or 1/l confusion, case does not matter."""
    return base64.b32encode(secrets.token_bytes(TOKEN_BYTES)).decode("ascii").rstrip("=")


def normalize_token(raw: str) -> str:
    """What a member typed or scanned, as minted: upper case, no separators."""
    return "".join(ch for ch in str(raw).upper() if ch.isalnum())[:64]


def token_hash(token: str) -> str:
    return hashlib.sha256(normalize_token(token).encode("ascii", "ignore")).hexdigest()


def printable(token: str) -> str:
    """The code as printed under its QR: groups of five (KX3QM-…)."""
    t = normalize_token(token)
    return "-".join(t[i : i + 5] for i in range(0, len(t), 5))


def _mint(meeting: BallotMeeting, count: int) -> list[str]:
    tokens = [new_token() for _ in range(count)]
    BallotCode.objects.bulk_create(
        [BallotCode(meeting=meeting, token_hash=token_hash(t)) for t in tokens], batch_size=500
    )
    return tokens


def _count(value) -> int:
    try:
        n = int(str(value).strip())
    except ValueError:
        raise ValidationError(
            _("Number of codes: “%(value)s” is not a whole number.") % {"value": str(value)[:40]}
        ) from None
    if not 1 <= n <= MAX_CODES:
        raise ValidationError(
            _("Number of codes must lie between 1 and %(max)s.") % {"max": MAX_CODES}
        )
    return n


# --- ballot meetings (the Office) -----------------------------------------------------------


@transaction.atomic
def ballot_meeting_create(
    *, year_id, acting_user, unit_id, title, held_on, count
) -> tuple[BallotMeeting, list[str]]:
    """Open an online democratic evaluation for a community with `count` one-time codes; the
    tokens are returned once, for the sheet, and never stored."""
    year = lock_year(year_id, acting_user)
    access.require_action(acting_user, year, "inputs")
    guard_open(year)
    assessed = AssessedUnit.objects.filter(year=year, unit_id=unit_id).first()
    if assessed is None:
        raise ValidationError(_("Choose a community assessed this year."))
    title = clean_text(title, label=_("Meeting"), max_length=200)
    if held_on is None:
        raise ValidationError(_("Meeting date: enter a date."))
    n = _count(count)
    if BallotMeeting.objects.filter(year=year, unit_id=unit_id, closed_at__isnull=True).exists():
        raise Conflict(
            _("%(unit)s already has an open online ballot: close it first.")
            % {"unit": assessed.name}
        )
    try:
        with transaction.atomic():
            meeting = BallotMeeting.objects.create(
                year=year,
                unit_id=unit_id,
                title=title,
                held_on=held_on,
                codes_issued=n,
                created_by=acting_user,
            )
    except IntegrityError:  # the partial unique constraint: a second open meeting at once
        raise Conflict(
            _("%(unit)s already has an open online ballot: close it first.")
            % {"unit": assessed.name}
        ) from None
    tokens = _mint(meeting, n)
    audit(
        "appraisal.ballot_meeting_created",
        actor=acting_user,
        subject=meeting,
        year=year,
        after={"unit": assessed.code, "title": title, "held_on": held_on, "codes": n},
    )
    return meeting, tokens


def _lock_meeting(meeting_id, acting_user) -> tuple[BallotMeeting, AssessmentYear]:
    meeting = (
        BallotMeeting.objects.select_for_update()
        .filter(pk=meeting_id, year__sub_district_id=access.sub_district_id(acting_user))
        .first()
    )
    if meeting is None or not access.memberships(acting_user):
        raise Conflict(_("This online ballot does not exist."))
    year = lock_year(meeting.year_id, acting_user)
    access.require_action(acting_user, year, "inputs")
    return meeting, year


def _refuse_closed(meeting: BallotMeeting) -> None:
    if not meeting.is_open:
        raise Conflict(
            _("This online ballot was closed at %(at)s: its codes are dead.")
            % {"at": timezone.localtime(meeting.closed_at).strftime("%Y-%m-%d %H:%M")},
            url=meeting.get_absolute_url(),
        )


@transaction.atomic
def ballot_codes_regenerate(*, meeting_id, acting_user, expected_generation) -> list[str]:
    """The sheet was lost (it is shown once): every unused code of the meeting is invalidated
    and as many new ones are minted, returned once for a new sheet. Votes already cast stay."""
    meeting, year = _lock_meeting(meeting_id, acting_user)
    guard_open(year)
    _refuse_closed(meeting)
    if int(expected_generation) != meeting.generation:
        raise Conflict(
            _("The codes of this ballot were renewed meanwhile: open its page again."),
            url=meeting.get_absolute_url(),
        )
    invalidated, _by_model = BallotCode.objects.filter(meeting=meeting, used=False).delete()
    if invalidated == 0:
        raise Conflict(_("Every code of this ballot has voted: none to renew."))
    meeting.generation += 1
    meeting.codes_issued += invalidated
    meeting.save(update_fields=["generation", "codes_issued"])
    tokens = _mint(meeting, invalidated)
    audit(
        "appraisal.ballot_codes_invalidated",
        actor=acting_user,
        subject=meeting,
        year=year,
        after={"invalidated": invalidated, "minted": invalidated, "generation": meeting.generation},
    )
    return tokens


class ReplaceNeeded(Exception):
    """A democratic tally was already entered for the community: closing replaces it only when
    the Office confirms (the page shows the tally it replaces)."""

    def __init__(self, *, satisfied: int, basically: int, dissatisfied: int):
        self.satisfied, self.basically, self.dissatisfied = satisfied, basically, dissatisfied
        super().__init__(f"{satisfied}/{basically}/{dissatisfied}")


@transaction.atomic
def ballot_meeting_close(
    *, meeting_id, acting_user, expected_ballots, replace: bool = False
) -> Vote:
    """Close the online ballot: its codes are dead from now on and its tally becomes the
    community's democratic Vote (scoring.md §4), like an entered one."""
    meeting, year = _lock_meeting(meeting_id, acting_user)
    guard_open(year)
    _refuse_closed(meeting)
    counts = {k: getattr(meeting, k) for k in CHOICES}
    vote = Vote.objects.filter(year=year, unit_id=meeting.unit_id, kind=VoteKind.DEMOCRATIC).first()
    before = {k: getattr(vote, k) for k in CHOICES} if vote is not None else None
    if replace and int(expected_ballots) != meeting.ballots:
        # The confirmation named a tally that has grown since: confirm again with the new one.
        raise Conflict(
            _("Ballots were cast while you confirmed: %(n)s now. Confirm the closing again.")
            % {"n": meeting.ballots},
            url=meeting.get_absolute_url(),
        )
    if before is not None and any(before.values()) and before != counts and not replace:
        raise ReplaceNeeded(**before)
    if vote is None:
        vote = Vote.objects.create(year=year, unit_id=meeting.unit_id, kind="democratic", **counts)
    elif before != counts:
        for k, v in counts.items():
            setattr(vote, k, v)
        vote.save(update_fields=list(CHOICES))
    meeting.closed_at = timezone.now()
    meeting.save(update_fields=["closed_at"])
    audit(
        "appraisal.ballot_meeting_closed",
        actor=acting_user,
        subject=meeting,
        year=year,
        before=before,
        after={"unit": meeting.unit.code, **counts, "codes": meeting.codes_issued},
    )
    return vote


# --- voting (public, no login) --------------------------------------------------------------


class BallotNotFound(Exception):
    pass


class BallotClosed(Exception):
    def __init__(self, meeting):
        self.meeting = meeting


class BallotUsed(Exception):
    def __init__(self, meeting):
        self.meeting = meeting


def code_state(token: str) -> tuple[BallotMeeting, bool]:
    """(meeting, used) for the ballot page."""
    digest = token_hash(token)
    code = BallotCode.objects.select_related("meeting__unit").filter(token_hash=digest).first()
    if code is None or not hmac.compare_digest(code.token_hash, digest):
        raise BallotNotFound
    return code.meeting, code.used


@transaction.atomic
def ballot_cast(*, token: str, choice: str) -> BallotMeeting:
    """One member's vote: the code is marked used and the meeting's counter grows by one, in one
    transaction; nothing else is written (no time, no audit row, no ballot row)."""
    if choice not in CHOICES:
        raise ValidationError(_("Choose satisfied, basically satisfied or dissatisfied."))
    digest = token_hash(token)
    found = BallotCode.objects.filter(token_hash=digest).values_list("meeting_id", flat=True)
    meeting_id = found.first()
    if meeting_id is None:
        raise BallotNotFound
    # Lock order meeting → code (the closing and the renewal lock the meeting first): a vote
    # never lands in a meeting that closed meanwhile, and a code votes once.
    meeting = BallotMeeting.objects.select_for_update().select_related("unit").get(pk=meeting_id)
    code = BallotCode.objects.select_for_update().filter(token_hash=digest).first()
    if code is None or not hmac.compare_digest(code.token_hash, digest):
        raise BallotNotFound  # invalidated meanwhile
    if not meeting.is_open:
        raise BallotClosed(meeting)
    if code.used or BallotCode.objects.filter(pk=code.pk, used=False).update(used=True) != 1:
        raise BallotUsed(meeting)
    BallotMeeting.objects.filter(pk=meeting.pk).update(**{choice: F(choice) + 1})
    return meeting


# --- the votes step (VoteRound) -------------------------------------------------------------


def tally_rows(year: AssessmentYear) -> list[dict]:
    """Every assessed community with both tallies and their scores (scoring.md §4), in code
    order; `empty` lists the votes without ballots (0 and flagged)."""
    settings = scoring_settings(year)
    votes = {(v.unit_id, v.kind): v for v in Vote.objects.filter(year=year)}
    rows = []
    for u in AssessedUnit.objects.filter(year=year).order_by("code"):
        row = {"unit_id": u.unit_id, "code": u.code, "name": u.name, "empty": []}
        for kind in VoteKind:
            v = votes.get((u.unit_id, kind.value))
            counts = Votes(*(getattr(v, k) for k in CHOICES)) if v else Votes()
            result = domain_scoring.vote_score(counts, settings)
            row[kind.value] = {
                "satisfied": counts.satisfied,
                "basically": counts.basically,
                "dissatisfied": counts.dissatisfied,
                "ballots": result.ballots,
                "score": result.score,
            }
            if result.empty:
                row["empty"].append(kind.value)
        rows.append(row)
    return rows


def tally_snapshot(rows: Sequence[dict]) -> dict:
    """The JSON kept on a confirmed round: {code: {name, debriefing: {...}, democratic: {...}}}."""
    return {
        r["code"]: {
            "name": r["name"],
            **{k: {**r[k], "score": str(r[k]["score"])} for k in VoteKind.values},
            "empty": list(r["empty"]),
        }
        for r in rows
    }


def tally_digest(rows: Sequence[dict]) -> str:
    """What the page showed: a confirmation of other tallies is stale (409)."""
    payload = json.dumps(tally_snapshot(rows), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def empty_votes(rows: Sequence[dict]) -> list[str]:
    """'<code>:<kind>' of every vote without ballots."""
    return [f"{r['code']}:{kind}" for r in rows for kind in r["empty"]]


@transaction.atomic
def votes_round_open(*, year, due_at, round) -> VoteRound:
    """The votes step of the year-end process opens (called by the orchestration): round n
    starts from the year's Vote rows as they are; an earlier round keeps its snapshot."""
    year_obj = year if isinstance(year, AssessmentYear) else AssessmentYear.objects.get(pk=year)
    vote_round, _created = VoteRound.objects.get_or_create(
        year=year_obj,
        round=round,
        defaults={"due_at": due_at, "opened_at": timezone.now()},
    )
    return vote_round


class EmptyVotesNeedConfirmation(Exception):
    """Some votes have no ballots (scoring.md §4: 0 and flagged): confirm naming them."""

    def __init__(self, empty: list[str]):
        self.empty = empty
        super().__init__(", ".join(empty))


@transaction.atomic
def votes_confirm(
    *,
    round_id,
    acting_user,
    expected_digest: str | None = None,
    accept_empty: Sequence[str] = (),
) -> VoteRound:
    """The Office confirms the year's tallies (both votes of every community): the round keeps
    their snapshot and the process moves on (steps: votes.confirmed).

    expected_digest: tally_digest of what the page showed (other tallies now → 409); None from
    code that shows nothing. Votes without ballots are confirmed only when accept_empty names
    exactly them ('<unit code>:<kind>', see empty_votes); otherwise EmptyVotesNeedConfirmation."""
    vote_round = (
        VoteRound.objects.select_for_update()
        .filter(pk=round_id, year__sub_district_id=access.sub_district_id(acting_user))
        .first()
    )
    if vote_round is None or not access.memberships(acting_user):
        raise Conflict(_("This round of the votes does not exist."))
    year = lock_year(vote_round.year_id, acting_user)
    access.require_action(acting_user, year, "inputs")
    guard_open(year)
    url = vote_round.get_absolute_url()
    if vote_round.confirmed:
        raise Conflict(_("These votes were confirmed already."), url=url)
    if VoteRound.objects.filter(year=year, round__gt=vote_round.round).exists():
        raise Conflict(_("A later round of the votes is open: confirm that one."), url=url)
    still_open = list(
        BallotMeeting.objects.filter(year=year, closed_at__isnull=True)
        .select_related("unit")
        .order_by("unit__code")
    )
    if still_open:
        raise Conflict(
            _("Close the online ballots first: %(units)s.")
            % {"units": "、".join(m.unit.name for m in still_open)},
            url=url,
        )
    rows = tally_rows(year)
    if expected_digest is not None and tally_digest(rows) != expected_digest:
        raise Conflict(
            _("The tallies changed since the page was opened: check them and confirm again."),
            url=url,
        )
    empty = empty_votes(rows)
    if empty and not accept_empty:
        raise EmptyVotesNeedConfirmation(empty)
    if sorted(accept_empty) != sorted(empty):
        raise Conflict(
            _("The votes without ballots changed since the page was opened: confirm again."),
            url=url,
        )
    vote_round.snapshot = tally_snapshot(rows)
    vote_round.confirmed_at = timezone.now()
    vote_round.confirmed_by = acting_user
    vote_round.save(update_fields=["snapshot", "confirmed_at", "confirmed_by"])
    audit(
        "appraisal.votes_confirmed",
        actor=acting_user,
        subject=vote_round,
        year=year,
        after={"round": vote_round.round, "empty": empty, "units": len(rows)},
    )
    steps.done(subject=vote_round, step="votes.confirmed", acting_user=acting_user)
    return vote_round
