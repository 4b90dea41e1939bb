"""The satisfaction-evaluation stage (Art. 15, scoring.md §4): online anonymous ballots of a
community's all-member meeting and the votes step of the year-end process."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.core.cache import cache
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from appraisal.models import BallotCode, BallotMeeting, Vote, VoteKind
from appraisal.results.compute import compute
from appraisal.services import ballots as svc
from core import steps
from core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

HELD_ON = dt.date(2027, 1, 5)


def zh(msgid: str) -> str:
    """What the ballot page says (always Chinese once the catalogue has it)."""
    with translation.override("zh-hans"):
        return gettext(msgid)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def _meeting(org, year, n=5, unit=None):
    return svc.ballot_meeting_create(
        year_id=year.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        unit_id=(unit or org.community).pk,
        title="2027年度民主测评大会",
        held_on=HELD_ON,
        count=n,
    )


def _vote(client, token, choice="satisfied"):
    return client.post(reverse("ballot:ballot", args=[token]), {"choice": choice})


# --- codes ----------------------------------------------------------------------------------


def test_codes_are_unique_and_carry_128_bits(org, year):
    meeting, tokens = _meeting(org, year, n=300)
    assert len(set(tokens)) == 300
    for t in tokens:
        # base32 of 16 random bytes: 26 characters of 5 bits = 130 ≥ 128 bits
        assert re.fullmatch(r"[A-Z2-7]{26}", t)
    assert BallotCode.objects.filter(meeting=meeting).count() == 300
    # only hashes are stored
    stored = set(BallotCode.objects.values_list("token_hash", flat=True))
    assert not stored & set(tokens)
    assert {svc.token_hash(t) for t in tokens} == stored


def test_no_column_links_a_code_to_a_vote_or_its_time():
    fields = {f.name for f in BallotCode._meta.get_fields()}
    assert fields == {"id", "meeting", "token_hash", "used"}
    assert not any(isinstance(f, models.DateTimeField) for f in BallotCode._meta.get_fields())
    # the meeting holds counters only: no relation to a per-ballot row other than its codes
    relations = {f.related_model for f in BallotMeeting._meta.get_fields() if f.is_relation}
    assert BallotCode in relations
    assert {m._meta.model_name for m in relations} <= {
        "ballotcode",
        "assessmentyear",
        "unit",
        "user",
    }


def test_a_code_votes_once_and_the_tally_counts_each_choice(org, year):
    meeting, tokens = _meeting(org, year, n=6)
    client = Client()
    for token, choice in zip(
        tokens, ["satisfied"] * 3 + ["basically"] * 2 + ["dissatisfied"], strict=True
    ):
        response = _vote(client, token, choice)
        assert response.status_code == 200
        assert zh("Voted, thank you for taking part.") in response.content.decode()
    meeting.refresh_from_db()
    assert (meeting.satisfied, meeting.basically, meeting.dissatisfied) == (3, 2, 1)
    # the second vote of a code is refused and changes nothing
    again = _vote(client, tokens[0], "dissatisfied")
    assert again.status_code == 409
    assert zh("This ballot has been used.") in again.content.decode()
    meeting.refresh_from_db()
    assert meeting.ballots == 6
    # and opening a used code says so
    assert client.get(reverse("ballot:ballot", args=[tokens[0]])).status_code == 409


def test_the_ballot_page_needs_no_login_and_shows_only_the_meeting(org, year):
    _meeting_row, tokens = _meeting(org, year, n=1)
    client = Client(enforce_csrf_checks=True)
    page = client.get(reverse("ballot:ballot", args=[tokens[0]]))
    assert page.status_code == 200
    body = page.content.decode()
    assert org.community.name in body and "2027年度民主测评大会" in body
    assert 'name="csrfmiddlewaretoken"' in body
    assert "navbar" not in body
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    # a POST without the CSRF token is refused; with it (the page's form), it counts
    assert (
        client.post(reverse("ballot:ballot", args=[tokens[0]]), {"choice": "satisfied"}).status_code
        == 403
    )
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    done = client.post(
        reverse("ballot:ballot", args=[tokens[0]]),
        {"choice": "basically", "csrfmiddlewaretoken": csrf},
    )
    assert done.status_code == 200
    text = done.content.decode()
    assert zh("Voted, thank you for taking part.") in text
    assert "basically" not in text.replace('"', "")  # nothing about the choice is echoed
    assert BallotMeeting.objects.get().basically == 1


def test_a_missing_choice_is_a_400_with_the_form(org, year):
    _m, tokens = _meeting(org, year, n=1)
    response = Client().post(reverse("ballot:ballot", args=[tokens[0]]), {})
    assert response.status_code == 400
    assert not BallotCode.objects.get().used


def test_an_invalid_code_is_a_plain_404_page(org, year):
    _meeting(org, year, n=1)
    response = Client().get(reverse("ballot:ballot", args=["A" * 26]))
    assert response.status_code == 404
    assert zh("This ballot code is not valid. Check the code and scan again.") in (
        response.content.decode()
    )


def test_a_typed_code_with_dashes_and_lower_case_votes(org, year):
    _m, tokens = _meeting(org, year, n=1)
    typed = svc.printable(tokens[0]).lower()
    assert _vote(Client(), typed).status_code == 200
    assert BallotMeeting.objects.get().satisfied == 1


def test_rate_limit_answers_429_after_30_wrong_codes(org, year):
    _m, tokens = _meeting(org, year, n=1)
    client = Client(REMOTE_ADDR="10.0.0.7")
    for i in range(30):
        assert client.get(reverse("ballot:ballot", args=[f"WRONG{i:021d}"])).status_code == 404
    limited = client.get(reverse("ballot:ballot", args=[tokens[0]]))
    assert limited.status_code == 429
    assert zh("Too many attempts from this network. Wait a minute and retry.") in (
        limited.content.decode()
    )
    assert _vote(client, tokens[0]).status_code == 429
    # another address is not affected
    assert _vote(Client(REMOTE_ADDR="10.0.0.8"), tokens[0]).status_code == 200


def test_valid_votes_from_one_network_are_not_limited(org, year):
    # a meeting's members often share one Wi-Fi address: only wrong codes count
    _m, tokens = _meeting(org, year, n=40)
    client = Client(REMOTE_ADDR="10.0.0.9")
    assert all(_vote(client, t).status_code == 200 for t in tokens)


def test_voting_writes_no_audit_row(org, year):
    _m, tokens = _meeting(org, year, n=3)
    before = AuditEvent.objects.count()
    for t in tokens:
        _vote(Client(), t)
    assert AuditEvent.objects.count() == before


# --- closing --------------------------------------------------------------------------------


def test_closing_feeds_the_democratic_vote_and_the_results(org, year):
    meeting, tokens = _meeting(org, year, n=5)
    for t, choice in zip(tokens, ["satisfied"] * 4 + ["basically"], strict=True):
        _vote(Client(), t, choice)
    office = Client()
    office.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:ballot_meeting_close", args=[year.year, meeting.pk])
    assert office.post(url, {"ballots": "5"}).status_code == 302
    vote = Vote.objects.get(year=year, unit=org.community, kind=VoteKind.DEMOCRATIC)
    assert (vote.satisfied, vote.basically, vote.dissatisfied) == (4, 1, 0)
    results = compute(year, details=False).results.units
    result = next(u for u in results if u.unit_id == org.community.code)
    assert str(result.democratic.score) == "92.00"  # (4·100 + 60) / 5
    assert not result.flags.empty_democratic_vote
    closed = AuditEvent.objects.get(event_type="appraisal.ballot_meeting_closed")
    assert closed.after["satisfied"] == 4
    # the codes are dead: the page says the evaluation has ended, a vote is refused
    left = svc.new_token()
    page = Client().get(reverse("ballot:ballot", args=[tokens[0]]))
    assert page.status_code == 200
    assert zh("This evaluation has ended.") in page.content.decode()
    assert left  # a fresh random token is simply unknown
    meeting.refresh_from_db()
    assert not meeting.is_open


def test_a_closed_meeting_refuses_votes(org, year):
    meeting, tokens = _meeting(org, year, n=2)
    svc.ballot_meeting_close(
        meeting_id=meeting.pk, acting_user=org.user(Role.OFFICE_STAFF), expected_ballots=0
    )
    response = _vote(Client(), tokens[0])
    assert response.status_code == 409
    assert zh("This evaluation has ended.") in response.content.decode()
    meeting.refresh_from_db()
    assert meeting.ballots == 0
    assert not BallotCode.objects.filter(used=True).exists()


def test_closing_over_an_entered_tally_asks_to_replace_it(org, year):
    office = org.user(Role.OFFICE_STAFF)
    Vote.objects.create(year=year, unit=org.community, kind="democratic", satisfied=9)
    meeting, tokens = _meeting(org, year, n=2)
    _vote(Client(), tokens[0], "dissatisfied")
    client = Client()
    client.force_login(office)
    url = reverse("appraisal:ballot_meeting_close", args=[year.year, meeting.pk])
    asked = client.post(url, {"ballots": "1"})
    assert asked.status_code == 200
    assert 'name="replace"' in asked.content.decode()
    meeting.refresh_from_db()
    assert meeting.is_open
    assert Vote.objects.get(unit=org.community, kind="democratic").satisfied == 9
    # a ballot cast while the Office read the question: the confirmation is stale
    _vote(Client(), tokens[1], "satisfied")
    assert client.post(url, {"ballots": "1", "replace": "1"}).status_code == 409
    assert client.post(url, {"ballots": "2", "replace": "1"}).status_code == 302
    vote = Vote.objects.get(unit=org.community, kind="democratic")
    assert (vote.satisfied, vote.basically, vote.dissatisfied) == (1, 0, 1)
    row = AuditEvent.objects.get(event_type="appraisal.ballot_meeting_closed")
    assert row.before == {"satisfied": 9, "basically": 0, "dissatisfied": 0}


def test_closing_twice_is_409(org, year):
    meeting, _t = _meeting(org, year, n=1)
    client = Client()
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:ballot_meeting_close", args=[year.year, meeting.pk])
    assert client.post(url, {"ballots": "0"}).status_code == 302
    assert client.post(url, {"ballots": "0"}).status_code == 409
    assert AuditEvent.objects.filter(event_type="appraisal.ballot_meeting_closed").count() == 1


def test_renewing_invalidates_unused_codes_and_keeps_votes(org, year):
    meeting, tokens = _meeting(org, year, n=3)
    _vote(Client(), tokens[0])
    new = svc.ballot_codes_regenerate(
        meeting_id=meeting.pk, acting_user=org.user(Role.OFFICE_STAFF), expected_generation=1
    )
    assert len(new) == 2
    assert _vote(Client(), tokens[1]).status_code == 404  # the old sheet is dead
    assert _vote(Client(), new[0]).status_code == 200
    meeting.refresh_from_db()
    assert (meeting.satisfied, meeting.generation, meeting.codes_issued) == (2, 2, 5)
    row = AuditEvent.objects.get(event_type="appraisal.ballot_codes_invalidated")
    assert row.after["invalidated"] == 2
    # a second renewal from the same (stale) page is refused
    from core.errors import Conflict

    with pytest.raises(Conflict):
        svc.ballot_codes_regenerate(
            meeting_id=meeting.pk, acting_user=org.user(Role.OFFICE_STAFF), expected_generation=1
        )


def test_one_audit_row_for_creation_and_none_for_the_codes(org, year):
    _meeting(org, year, n=50)
    rows = AuditEvent.objects.filter(event_type="appraisal.ballot_meeting_created")
    assert rows.count() == 1
    assert rows.get().after["codes"] == 50


def test_a_second_open_meeting_for_a_community_is_refused(org, year):
    from core.errors import Conflict

    _meeting(org, year, n=1)
    with pytest.raises(Conflict):
        _meeting(org, year, n=1)


def test_the_number_of_codes_is_bounded(org, year):
    from django.core.exceptions import ValidationError

    for bad in (0, svc.MAX_CODES + 1, "x"):
        with pytest.raises(ValidationError):
            _meeting(org, year, n=bad)


# --- the Office's pages and who may see them ------------------------------------------------


@pytest.mark.parametrize("role", sorted(Role.values))
def test_access_to_the_stage_and_the_meetings(client, org, year, role):
    meeting, _t = _meeting(org, year, n=2)
    client.force_login(org.user(role))
    readers = {Role.OFFICE_STAFF, Role.LEADER, Role.AUDITOR, Role.ADMIN}
    pages = [
        reverse("appraisal:vote_stage", args=[year.year]),
        reverse("appraisal:ballot_meeting", args=[year.year, meeting.pk]),
        reverse("appraisal:ballot_meeting_tally", args=[year.year, meeting.pk]),
    ]
    for url in pages:
        assert client.get(url).status_code == (200 if role in readers else 403), url
    new = client.get(reverse("appraisal:ballot_meeting_new", args=[year.year]))
    assert new.status_code == (200 if role == Role.OFFICE_STAFF else 403)
    if role != Role.OFFICE_STAFF:
        renew = reverse("appraisal:ballot_meeting_regenerate", args=[year.year, meeting.pk])
        assert client.post(renew, {"generation": "1"}).status_code == 403
    close = client.post(
        reverse("appraisal:ballot_meeting_close", args=[year.year, meeting.pk]), {"ballots": "0"}
    )
    assert close.status_code == (302 if role == Role.OFFICE_STAFF else 403)
    meeting.refresh_from_db()
    assert meeting.is_open == (role != Role.OFFICE_STAFF)


def test_anonymous_is_sent_to_login_from_the_office_pages(client, org, year):
    meeting, _t = _meeting(org, year, n=1)
    for url in (
        reverse("appraisal:vote_stage", args=[year.year]),
        reverse("appraisal:ballot_meeting_new", args=[year.year]),
        reverse("appraisal:ballot_meeting", args=[year.year, meeting.pk]),
        reverse("appraisal:ballot_meeting_tally", args=[year.year, meeting.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302 and response.url.startswith(reverse("login")), url


def test_a_meeting_of_another_sub_district_is_404(client, org, other_org, year):
    meeting, _t = _meeting(org, year, n=1)
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    assert (
        client.get(reverse("appraisal:ballot_meeting", args=[year.year, meeting.pk])).status_code
        == 404
    )


def test_the_live_tally_is_json(client, org, year):
    meeting, tokens = _meeting(org, year, n=3)
    _vote(Client(), tokens[0], "basically")
    client.force_login(org.user(Role.AUDITOR))
    data = client.get(
        reverse("appraisal:ballot_meeting_tally", args=[year.year, meeting.pk])
    ).json()
    assert data == {
        "satisfied": 0,
        "basically": 1,
        "dissatisfied": 0,
        "ballots": 1,
        "codes": 3,
        "closed": False,
    }


def test_auditors_read_the_meeting_but_see_no_actions(client, org, year):
    meeting, _t = _meeting(org, year, n=1)
    client.force_login(org.user(Role.AUDITOR))
    body = client.get(reverse("appraisal:ballot_meeting", args=[year.year, meeting.pk])).content
    assert b'data-testid="close"' not in body


def test_creating_a_meeting_returns_the_sheet_once(client, org, year):
    pytest.importorskip("fpdf")
    pytest.importorskip("segno")
    pypdf = pytest.importorskip("pypdf")
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:ballot_meeting_new", args=[year.year])
    response = client.post(
        url,
        {"unit": org.community.pk, "title": "民主测评大会", "held_on": "2027-01-05", "count": "14"},
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    reader = pypdf.PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 2  # 12 slips per A4 page
    # pypdf reads fpdf2's CID text with a NUL before each character (pdftotext does not)
    text = "".join(p.extract_text() for p in reader.pages)
    text = text.replace(" ", "").replace("\n", "")
    codes = re.findall(r"(?:[A-Z2-7]{5}-){5}[A-Z2-7]", text)
    assert len(set(codes)) == 14
    assert org.community.name.replace(" ", "") in text and "2027-01-05" in text
    images = sum(len(p.images) for p in reader.pages)
    assert images == 14
    # every printed code votes (the sheet is the only place the tokens ever were)
    meeting = BallotMeeting.objects.get()
    assert {svc.token_hash(c) for c in codes} == set(
        BallotCode.objects.filter(meeting=meeting).values_list("token_hash", flat=True)
    )
    # and the sheet is not offered again: the meeting page has no download, only renewal
    page = client.get(meeting.get_absolute_url()).content.decode()
    assert "application/pdf" not in page and "renew" in page


def test_a_bad_meeting_form_is_a_400_with_the_form(client, org, year):
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:ballot_meeting_new", args=[year.year])
    response = client.post(
        url, {"unit": org.community.pk, "title": "大会", "held_on": "2027-01-05", "count": "0"}
    )
    assert response.status_code == 400
    assert b'name="count"' in response.content
    missing = client.post(url, {"unit": org.community.pk, "title": "大会", "held_on": "2027-01-05"})
    assert missing.status_code == 400
    assert not BallotMeeting.objects.exists()


# --- the votes step -------------------------------------------------------------------------


@pytest.fixture
def listener():
    calls = []

    def listen(*, subject, step, acting_user, **data):
        calls.append((subject, step, acting_user))

    steps.connect(listen)
    yield calls
    steps.disconnect(listen)


def _fill_votes(year, units, democratic_too=True):
    for u in units:
        Vote.objects.create(year=year, unit=u, kind="debriefing", satisfied=3, basically=1)
        if democratic_too:
            Vote.objects.create(year=year, unit=u, kind="democratic", satisfied=2)


def test_votes_round_open_is_prefilled_by_the_vote_rows(org, year):
    _fill_votes(year, [org.community, org.community2])
    due = dt.datetime(2027, 1, 20, 17, tzinfo=dt.UTC)
    vote_round = svc.votes_round_open(year=year, due_at=due, round=1)
    assert vote_round.round == 1 and vote_round.due_at == due
    assert vote_round.get_absolute_url() == reverse("appraisal:vote_round", args=[year.year, 1])
    # opening again returns the same row (the orchestration may retry)
    assert svc.votes_round_open(year=year, due_at=due, round=1).pk == vote_round.pk
    rows = svc.tally_rows(year)
    assert [r["debriefing"]["satisfied"] for r in rows] == [3, 3]
    assert str(rows[0]["debriefing"]["score"]) == "90.00"


def test_votes_confirm_calls_the_step_hook_and_keeps_a_snapshot(org, year, listener):
    _fill_votes(year, [org.community, org.community2])
    vote_round = svc.votes_round_open(year=year, due_at=None, round=1)
    office = org.user(Role.OFFICE_STAFF)
    digest = svc.tally_digest(svc.tally_rows(year))
    svc.votes_confirm(round_id=vote_round.pk, acting_user=office, expected_digest=digest)
    assert listener == [(vote_round, "votes.confirmed", office)]
    vote_round.refresh_from_db()
    assert vote_round.confirmed_by == office
    assert vote_round.snapshot[org.community.code]["debriefing"]["satisfied"] == 3
    assert AuditEvent.objects.filter(event_type="appraisal.votes_confirmed").count() == 1
    # a second confirmation (double click) is 409 and calls nothing
    from core.errors import Conflict

    with pytest.raises(Conflict):
        svc.votes_confirm(round_id=vote_round.pk, acting_user=office, expected_digest=digest)
    assert len(listener) == 1


def test_confirming_stale_tallies_is_409(client, org, year, listener):
    _fill_votes(year, [org.community, org.community2])
    vote_round = svc.votes_round_open(year=year, due_at=None, round=1)
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(vote_round.get_absolute_url()).content.decode()
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    Vote.objects.filter(unit=org.community, kind="democratic").update(satisfied=7)
    assert client.post(vote_round.get_absolute_url(), {"digest": digest}).status_code == 409
    assert listener == []
    vote_round.refresh_from_db()
    assert not vote_round.confirmed


def test_confirming_with_empty_votes_asks_naming_them(client, org, year, listener):
    _fill_votes(year, [org.community])  # community2 has no ballots at all
    vote_round = svc.votes_round_open(year=year, due_at=None, round=1)
    client.force_login(org.user(Role.OFFICE_STAFF))
    page = client.get(vote_round.get_absolute_url()).content.decode()
    assert 'data-testid="empty-votes"' in page
    digest = re.search(r'name="digest" value="([0-9a-f]+)"', page).group(1)
    asked = client.post(vote_round.get_absolute_url(), {"digest": digest})
    assert asked.status_code == 200
    body = asked.content.decode()
    assert org.community2.name in body
    accept = re.findall(r'name="accept_empty" value="([^"]+)"', body)
    assert sorted(accept) == sorted(
        [f"{org.community2.code}:debriefing", f"{org.community2.code}:democratic"]
    )
    assert listener == []
    done = client.post(vote_round.get_absolute_url(), {"digest": digest, "accept_empty": accept})
    assert done.status_code == 302
    assert [c[1] for c in listener] == ["votes.confirmed"]
    row = AuditEvent.objects.get(event_type="appraisal.votes_confirmed")
    assert sorted(row.after["empty"]) == sorted(accept)


def test_confirming_while_a_ballot_is_open_is_409(org, year, listener):
    from core.errors import Conflict

    _fill_votes(year, [org.community, org.community2])
    vote_round = svc.votes_round_open(year=year, due_at=None, round=1)
    _meeting(org, year, n=1)
    with pytest.raises(Conflict):
        svc.votes_confirm(
            round_id=vote_round.pk,
            acting_user=org.user(Role.OFFICE_STAFF),
            expected_digest=svc.tally_digest(svc.tally_rows(year)),
        )
    assert listener == []


def test_only_the_office_confirms(client, org, year, listener):
    _fill_votes(year, [org.community, org.community2])
    vote_round = svc.votes_round_open(year=year, due_at=None, round=1)
    digest = svc.tally_digest(svc.tally_rows(year))
    for role in (Role.LEADER, Role.AUDITOR, Role.COMMUNITY_STAFF, Role.DEPT_ASSESSOR):
        client.force_login(org.user(role))
        assert client.post(vote_round.get_absolute_url(), {"digest": digest}).status_code == 403
    assert listener == []


def test_a_returned_round_starts_from_the_votes_and_shows_the_previous(client, org, year):
    _fill_votes(year, [org.community, org.community2])
    office = org.user(Role.OFFICE_STAFF)
    first = svc.votes_round_open(year=year, due_at=None, round=1)
    svc.votes_confirm(
        round_id=first.pk,
        acting_user=office,
        expected_digest=svc.tally_digest(svc.tally_rows(year)),
    )
    Vote.objects.filter(unit=org.community, kind="debriefing").update(satisfied=8)
    second = svc.votes_round_open(year=year, due_at=None, round=2)
    client.force_login(office)
    stage = client.get(reverse("appraisal:vote_stage", args=[year.year]))
    assert stage.status_code == 302 and stage.url == second.get_absolute_url()
    body = client.get(second.get_absolute_url()).content.decode()
    assert 'data-testid="previous-round"' in body
    assert "3/1/0" in body  # round 1's snapshot
    assert ">8<" in body  # round 2 starts from the Vote rows as they are now


def test_stage_page_query_count_does_not_grow_with_communities(
    client, org, year, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appraisal.models import AssessedUnit
    from tests.factories import UnitFactory

    svc.votes_round_open(year=year, due_at=None, round=1)
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:vote_round", args=[year.year, 1])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(20):
        unit = UnitFactory(sub_district=org.sd, code=f"A-x{i:02d}", name=f"新社区{i}")
        AssessedUnit.objects.create(year=year, unit=unit, code=unit.code, name=unit.name)
        Vote.objects.create(year=year, unit=unit, kind="democratic", satisfied=i)
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    with django_assert_max_num_queries(len(few)):
        client.get(url)


def test_code_confirming_empty_votes_must_name_them(org, year, listener):
    _fill_votes(year, [org.community, org.community2], democratic_too=False)
    vote_round = svc.votes_round_open(year=year, due_at=None, round=1)
    office = org.user(Role.OFFICE_STAFF)
    with pytest.raises(svc.EmptyVotesNeedConfirmation) as asked:
        svc.votes_confirm(round_id=vote_round.pk, acting_user=office)
    empty = asked.value.empty
    assert sorted(empty) == [
        f"{org.community.code}:democratic",
        f"{org.community2.code}:democratic",
    ]
    assert listener == []
    svc.votes_confirm(round_id=vote_round.pk, acting_user=office, accept_empty=empty)
    assert [c[1] for c in listener] == ["votes.confirmed"]
