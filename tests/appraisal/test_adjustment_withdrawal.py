"""In-year additions and deductions (Art. 10): dated within their year, withdrawn with a reason
(audited, struck through, no longer counted), by whom may record them only; the page's two forms
have distinct field ids."""

import datetime as dt
import re
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from appraisal import services
from appraisal.models import Adjustment, Category
from appraisal.results import compute
from core.models import AuditEvent, Role
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _lz(year):
    return Category.objects.get(year=year, code="LZ")


def _adjust(org, year, *, points="2.00", user=None, date=None):
    return services.adjustment_add(
        year_id=year.pk,
        acting_user=user or org.user(Role.DEPT_ASSESSOR),
        unit_id=org.community.pk,
        category_id=_lz(year).pk,
        points=points,
        reason="廉政教育活动突出",
        source="区纪委通报",
        date=date or dt.date(year.year, 6, 1),
    )


def _lz_result(year, org):
    unit = compute(year).results.unit(org.community.code)
    return next(c for c in unit.categories if c.code == "LZ")


def _form(org, year, **overrides):
    data = {
        "form": "adjustment",
        "adjustment-unit": org.community.pk,
        "adjustment-category": _lz(year).pk,
        "adjustment-points": "1.50",
        "adjustment-reason": "台账完整",
        "adjustment-source": "抽查",
        "adjustment-date": f"{year.year}-05-01",
    }
    data.update(overrides)
    return data


# ---------------------------------------------------------------- dates within the year


def test_an_adjustment_dated_in_the_previous_year_is_refused_naming_the_date(client, org, year):
    # given the assessment year (the current one) and an adjustment dated the year before
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    url = reverse("appraisal:adjustments", args=[year.year])
    earlier = f"{year.year - 1}-03-01"
    # when it is recorded through the page
    response = client.post(url, _form(org, year, **{"adjustment-date": earlier}))
    # then nothing is recorded, and the page says why at the date field, keeping what was typed
    assert response.status_code == 400
    assert not Adjustment.objects.filter(year=year).exists()
    page = response.content.decode()
    date_input = re.search(r'<input[^>]*id="id_adjustment-date"[^>]*>', page).group(0)
    assert "is-invalid" in date_input and earlier in date_input
    # the message at the field names the date typed and the year (whatever the language)
    feedback = re.search(
        r'id="id_adjustment-date"[^>]*>\s*(?:<div class="form-text">.*?</div>\s*)?'
        r'<div class="invalid-feedback d-block">([^<]*)</div>',
        page,
        re.S,
    ).group(1)
    assert earlier in feedback and f"{year.year}-12-31" in feedback
    assert "台账完整" in page


def test_the_service_refuses_a_date_outside_the_year_under_the_date_field(org, year):
    for date in (dt.date(year.year - 1, 3, 1), dt.date(year.year + 1, 1, 1)):
        with pytest.raises(ValidationError) as caught:
            _adjust(org, year, date=date)
        assert list(caught.value.error_dict) == ["date"]
        assert date.isoformat() in caught.value.messages[0]
    # the first and last day of the year are inside it
    _adjust(org, year, date=dt.date(year.year, 1, 1))
    _adjust(org, year, date=dt.date(year.year, 12, 31))
    assert Adjustment.objects.filter(year=year).count() == 2


def test_a_spot_check_dated_outside_the_year_is_refused(org, year):
    with pytest.raises(ValidationError) as caught:
        services.spot_check_add(
            year_id=year.pk,
            acting_user=org.user(Role.DEPT_ASSESSOR),
            unit_id=org.community.pk,
            category_id=_lz(year).pk,
            indicator_id=None,
            date=dt.date(year.year - 1, 3, 1),
            findings="台账缺失",
        )
    assert list(caught.value.error_dict) == ["date"]


# ---------------------------------------------------------------- withdrawal


def test_a_withdrawn_adjustment_is_audited_struck_through_and_no_longer_counted(client, org, year):
    # given a deduction and an addition in LZ for the community
    wrong = _adjust(org, year, points="-3.00")
    _adjust(org, year, points="2.00")
    assert _lz_result(year, org).adjustment_sum == Decimal("-1.00")
    dept = org.user(Role.DEPT_ASSESSOR)
    client.force_login(dept)
    # when the department withdraws the wrong deduction with a reason
    url = reverse("appraisal:adjustment_withdraw", args=[year.year, wrong.pk])
    response = client.post(url, {"reason": "误录，应为其他社区"})
    assert response.status_code == 302
    # then it is kept, marked withdrawn, with one audit row of the state change
    wrong.refresh_from_db()
    assert wrong.withdrawn_at is not None and wrong.withdrawn_by == dept
    assert wrong.withdrawal_reason == "误录，应为其他社区"
    event = AuditEvent.objects.get(event_type="appraisal.adjustment_withdrawn")
    assert event.actor == dept
    assert event.before == {"state": "recorded"}
    assert event.after["state"] == "withdrawn" and event.after["reason"] == "误录，应为其他社区"
    # and the results count only the addition
    result = _lz_result(year, org)
    assert result.adjustment_sum == Decimal("2.00")
    assert [a.points for a in result.adjustments] == [Decimal("2.00")]
    # and the page shows it struck through, with the reason, who and when
    page = client.get(reverse("appraisal:adjustments", args=[year.year])).content.decode()
    row = re.search(r'<tr data-testid="adjustment" data-withdrawn="1".*?</tr>', page, re.S)
    assert row is not None
    assert "<del>-3.00</del>" in row.group(0)
    assert "误录，应为其他社区" in row.group(0) and str(dept) in row.group(0)
    assert wrong.withdrawn_at.astimezone().strftime("%Y-%m-%d") in row.group(0)
    # and it offers no second withdrawal, while the addition still has its form
    assert page.count('data-testid="withdraw-form"') == 1


def test_a_stale_withdrawal_is_a_conflict(client, org, year):
    adj = _adjust(org, year)
    client.force_login(org.user(Role.OFFICE_STAFF))
    url = reverse("appraisal:adjustment_withdraw", args=[year.year, adj.pk])
    assert client.post(url, {"reason": "重复录入"}).status_code == 302
    # a second withdrawal from a page left open
    response = client.post(url, {"reason": "重复录入"})
    assert response.status_code == 409
    assert AuditEvent.objects.filter(event_type="appraisal.adjustment_withdrawn").count() == 1


def test_a_withdrawal_needs_a_reason(client, org, year):
    adj = _adjust(org, year)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    url = reverse("appraisal:adjustment_withdraw", args=[year.year, adj.pk])
    response = client.post(url, {"reason": "  "}, follow=True)
    adj.refresh_from_db()
    assert adj.withdrawn_at is None
    assert response.status_code == 200
    assert not AuditEvent.objects.filter(event_type="appraisal.adjustment_withdrawn").exists()


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.LEADER, Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY, Role.ADMIN]
)
def test_roles_that_cannot_record_adjustments_cannot_withdraw_them(client, org, year, role):
    adj = _adjust(org, year)
    client.force_login(org.user(role))
    url = reverse("appraisal:adjustment_withdraw", args=[year.year, adj.pk])
    assert client.post(url, {"reason": "不对"}).status_code in (403, 404)
    adj.refresh_from_db()
    assert adj.withdrawn_at is None


def test_another_department_cannot_withdraw_an_adjustment_of_lz(client, org, year):
    adj = _adjust(org, year)
    client.force_login(make_member(org.dept_zz, Role.DEPT_ASSESSOR, "A-dept-zz"))
    url = reverse("appraisal:adjustment_withdraw", args=[year.year, adj.pk])
    assert client.post(url, {"reason": "不对"}).status_code in (403, 404)
    adj.refresh_from_db()
    assert adj.withdrawn_at is None


def test_the_auditor_sees_the_adjustments_without_a_withdraw_form(client, org, year):
    adj = _adjust(org, year)
    services.adjustment_withdraw(
        adjustment_id=adj.pk, acting_user=org.user(Role.OFFICE_STAFF), reason="误录"
    )
    _adjust(org, year, points="1.00")
    client.force_login(org.user(Role.AUDITOR))
    page = client.get(reverse("appraisal:adjustments", args=[year.year])).content.decode()
    assert page.count('data-testid="adjustment"') == 2
    assert 'data-testid="withdraw-form"' not in page
    assert "误录" in page


# ---------------------------------------------------------------- distinct ids


@pytest.mark.parametrize("role", [Role.DEPT_ASSESSOR, Role.OFFICE_STAFF])
def test_every_id_on_the_adjustments_page_is_unique_and_every_label_names_one(
    client, org, year, role
):
    _adjust(org, year)
    _adjust(org, year, points="-1.00")
    client.force_login(org.user(role))
    page = client.get(reverse("appraisal:adjustments", args=[year.year])).content.decode()
    ids = Counter(re.findall(r'\sid="([^"]+)"', page))
    assert ids, "the page has inputs"
    assert [i for i, n in ids.items() if n > 1] == []
    # both forms are there, each with its own unit and date inputs
    for name in ("id_adjustment-unit", "id_adjustment-date", "id_spot_check-unit"):
        assert ids[name] == 1
    assert ids["id_spot_check-date"] == 1
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', page):
        assert ids[target] == 1, target
