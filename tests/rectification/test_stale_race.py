"""Twenty identical 退回 at the same moment (a double click, a resubmitted page, a retrying proxy):
exactly one returns the measures, the others are told 409, and the reply behind the measures is
never returned (Art. 11). Before the forms named what they act on, the request that waited for
the row lock saw "replied" and returned the reply too: two winners.

Through the HTTP views, one django.test.Client per thread (one database connection each), released
together by a Barrier, as in test_concurrency.py.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from core.models import Role
from rectification.models import NoticeState
from tests.rectification.conftest import page_fields
from tests.rectification.test_concurrency import (
    LOSE,
    WIN,
    _client,
    _events,
    _measures_submitted,
    _race,
    sqlite_file_db,  # noqa: F401 (a fixture)
)

REQUESTS = 20
ROUNDS = 3


def _run(org) -> None:
    # One office user: the same person's double click, or their page sent again, 20 times.
    clients = [_client(org.user(Role.OFFICE_STAFF)) for _ in range(REQUESTS)]
    overlaps = 0
    for round_no in range(ROUNDS):
        notice = _measures_submitted(org)
        url = reverse("notice_return", args=[notice.pk])
        data = {**page_fields(notice, "notice_return"), "reason": "措施不具体，请细化"}
        results, overlapped = _race([(c, url, data) for c in clients])
        overlaps += overlapped
        assert sorted(results, key=repr) == [WIN] + [LOSE] * (REQUESTS - 1), (round_no, results)
        notice.refresh_from_db()
        assert notice.state == NoticeState.REPLIED, round_no
        assert _events(notice, "notice.return_measures") == 1, round_no
        assert _events(notice, "notice.return_reply") == 0, round_no
        assert notice.replies.get().returned_at is None
        assert notice.measure_sets.get().returned_at is not None
    # Had the requests run one after the other every time, the rounds would prove nothing.
    assert overlaps >= 1, f"no round ran all {REQUESTS} requests together"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_twenty_identical_returns_have_one_winner(org):
    _run(org)


@pytest.mark.django_db(transaction=True)
def test_sqlite_twenty_identical_returns_have_one_winner(sqlite_file_db, org):  # noqa: F811
    assert connection.vendor == "sqlite"
    _run(org)
