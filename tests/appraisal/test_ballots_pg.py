"""Online ballots under concurrency (PostgreSQL row locks): one code posted twice at the same
moment counts once; many codes at once are all counted (F expressions, no lost update)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from appraisal.models import BallotCode, BallotMeeting, Vote
from appraisal.services import ballots as svc
from core.models import Role
from tests.rectification.test_concurrency import _race

ROUNDS = 10


def _meeting(org, year, n):
    return svc.ballot_meeting_create(
        year_id=year.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        unit_id=org.community.pk,
        title="民主测评大会",
        held_on=dt.date(2027, 1, 5),
        count=n,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_code_posted_twice_at_once_counts_once(org, year):
    cache.clear()
    meeting, tokens = _meeting(org, year, ROUNDS)
    for token in tokens:
        url = reverse("ballot:ballot", args=[token])
        results, _overlapped = _race(
            [(Client(), url, {"choice": "satisfied"}), (Client(), url, {"choice": "dissatisfied"})]
        )
        assert sorted(results) == [200, 409], results
    meeting.refresh_from_db()
    assert meeting.ballots == ROUNDS
    assert BallotCode.objects.filter(meeting=meeting, used=True).count() == ROUNDS


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_many_codes_at_once_are_all_counted(org, year):
    cache.clear()
    meeting, tokens = _meeting(org, year, 8)
    results, _overlapped = _race(
        [(Client(), reverse("ballot:ballot", args=[t]), {"choice": "basically"}) for t in tokens]
    )
    assert results == [200] * 8, results
    assert BallotMeeting.objects.get(pk=meeting.pk).basically == 8


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_vote_racing_the_closing_is_either_in_the_tally_or_refused(org, year):
    cache.clear()
    office = Client()
    office.force_login(org.user(Role.OFFICE_STAFF))
    for _ in range(5):
        Vote.objects.filter(year=year).delete()  # a fresh closing each round (no replace step)
        BallotMeeting.objects.filter(closed_at__isnull=True).update(
            closed_at=dt.datetime.now(dt.UTC)
        )
        meeting, tokens = _meeting(org, year, 1)
        close = reverse("appraisal:ballot_meeting_close", args=[year.year, meeting.pk])
        results, _overlapped = _race(
            [
                (Client(), reverse("ballot:ballot", args=[tokens[0]]), {"choice": "satisfied"}),
                (office, close, {"ballots": "0", "replace": "0"}),
            ]
        )
        meeting.refresh_from_db()
        assert not meeting.is_open
        assert results[1] == 302, results
        vote = Vote.objects.get(year=year, unit=org.community, kind="democratic")
        # the closing wrote exactly what the meeting counted: no vote lands after it
        assert vote.satisfied == meeting.satisfied
        assert (results[0] == 200) == (meeting.satisfied == 1), results
