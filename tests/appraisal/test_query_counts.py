"""Assessment pages run a fixed number of queries whatever the number of communities (1 and
many): the counts are measured once and asserted at both sizes."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisal import services
from appraisal.models import BonusClaim, Report
from core.models import Role, UnitKind
from tests.factories import UnitFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(params=[1, 12], ids=["few", "many"])
def sized_year(request, org, planning_year):
    """A started year with 2 + n communities, some reports filed, a claim of each."""
    for i in range(request.param):
        UnitFactory(sub_district=org.sd, kind=UnitKind.COMMUNITY, code=f"A-x{i}", name=f"A-社区{i}")
    year = services.year_advance(year_id=planning_year.pk, acting_user=org.user(Role.OFFICE_STAFF))
    now = timezone.now()
    Report.objects.filter(year=year, period=1).update(submitted_at=now)
    for report in Report.objects.filter(year=year, period=1):
        BonusClaim.objects.get_or_create(
            year=year,
            unit_id=report.unit_id,
            defaults={"level": "city", "title": "表彰", "declared_at": now, "declare_by": now},
        )
    return year


PAGES = [
    ("appraisal:reports", lambda y: [y.year], Role.OFFICE_STAFF),
    ("appraisal:reports", lambda y: [y.year], Role.COMMUNITY_STAFF),
    ("appraisal:scoring", lambda y: [y.year, "LZ"], Role.DEPT_ASSESSOR),
    ("appraisal:claims", lambda y: [y.year], Role.OFFICE_STAFF),
    ("appraisal:inputs", lambda y: [y.year], Role.OFFICE_STAFF),
    ("appraisal:adjustments", lambda y: [y.year], Role.DEPT_ASSESSOR),
    ("appraisal:year", lambda y: [y.year], Role.OFFICE_STAFF),
]

# Measured on the first run of each page (session, user, roles, unread count, page queries,
# session save); the same number must hold with 3 or with 14 communities.
EXPECTED = {
    # year, units and indicators for the filters, the counts per state, the page count, the rows
    ("appraisal:reports", Role.OFFICE_STAFF): 14,
    ("appraisal:reports", Role.COMMUNITY_STAFF): 14,
    # category, indicators, units, scores, report statistics, reports due so far
    ("appraisal:scoring", Role.DEPT_ASSESSOR): 15,
    ("appraisal:claims", Role.OFFICE_STAFF): 10,
    ("appraisal:inputs", Role.OFFICE_STAFF): 12,
    ("appraisal:adjustments", Role.DEPT_ASSESSOR): 15,
    ("appraisal:year", Role.OFFICE_STAFF): 15,  # with the checklist before 年末考核
}


@pytest.mark.parametrize(("name", "args", "role"), PAGES, ids=[f"{p[0]}-{p[2]}" for p in PAGES])
def test_page_queries_do_not_grow(client, org, sized_year, name, args, role):
    client.force_login(org.user(role))
    url = reverse(name, args=args(sized_year))
    assert client.get(url).status_code == 200  # warm per-process caches
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    assert len(queries) == EXPECTED[(name, role)], "\n".join(q["sql"][:150] for q in queries)
