"""Art. 5: each lead department drafts the indicators of its own category while the year is
planned (the form, its own sheet of the workbook); the Office approves the whole catalogue, the
year starts only then, and a change after the approval withdraws it. Also the new-year form's
default and the one-off indicators' due dates on the year page."""

import datetime as dt
import re
from io import BytesIO

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from appraisal import services
from appraisal.models import AssessmentYear, Category, Indicator, YearStatus
from appraisal.selectors.catalogue import catalogue_digest
from core.models import AuditEvent, Role
from tests.appraisal.test_xlsx import IND_HEADER, sheet_file

pytestmark = pytest.mark.django_db


def _form(category, code, **extra):
    return {
        "category_id": category.pk,
        "code": code,
        "name": "廉政风险点排查",
        "description": "",
        "max_points": "2.00",
        "schedule": "none",
        "due_date": "",
        **extra,
    }


def _messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _reload(year) -> AssessmentYear:
    return AssessmentYear.objects.get(pk=year.pk)


def _indicators(year) -> list[tuple]:
    return list(
        Indicator.objects.filter(year=year)
        .order_by("code")
        .values_list("code", "category__code", "max_points", "schedule", "due_date")
    )


# ---------------------------------------------------------------- the form


def test_department_adds_and_edits_an_indicator_of_its_own_category(client, org, planning_year):
    lz = Category.objects.get(year=planning_year, code="LZ")
    client.force_login(org.user(Role.DEPT_ASSESSOR))  # the department of LZ
    # the year page offers it the button, and links its own indicators only
    page = client.get(reverse("appraisal:year", args=[planning_year.year])).content.decode()
    assert reverse("appraisal:indicator_new", args=[planning_year.year]) in page
    lz01 = Indicator.objects.get(year=planning_year, code="LZ-01")
    zz01 = Indicator.objects.get(year=planning_year, code="ZZ-01")
    assert reverse("appraisal:indicator_edit", args=[planning_year.year, lz01.pk]) in page
    assert reverse("appraisal:indicator_edit", args=[planning_year.year, zz01.pk]) not in page
    # its form offers only its own category
    url = reverse("appraisal:indicator_new", args=[planning_year.year])
    form = client.get(url)
    assert form.status_code == 200
    assert [c for c, _label in form.context["form"].fields["category_id"].choices] == [lz.pk]
    # it adds one
    assert client.post(url, _form(lz, "LZ-03")).status_code == 302
    created = Indicator.objects.get(year=planning_year, code="LZ-03")
    assert created.category == lz
    # and changes it
    edit = reverse("appraisal:indicator_edit", args=[planning_year.year, created.pk])
    assert client.post(edit, _form(lz, "LZ-03", max_points="3.00")).status_code == 302
    created.refresh_from_db()
    assert str(created.max_points) == "3.00"
    saved = AuditEvent.objects.filter(event_type="appraisal.indicator_saved")
    assert saved.count() == 2
    assert saved.first().actor == org.user(Role.DEPT_ASSESSOR)


def test_department_gets_403_for_another_departments_category(client, org, planning_year):
    zz = Category.objects.get(year=planning_year, code="ZZ")
    zz01 = Indicator.objects.get(year=planning_year, code="ZZ-01")
    before = _indicators(planning_year)
    client.force_login(org.user(Role.DEPT_ASSESSOR))  # a login is audited itself
    audits = AuditEvent.objects.count()
    new = reverse("appraisal:indicator_new", args=[planning_year.year])
    edit = reverse("appraisal:indicator_edit", args=[planning_year.year, zz01.pk])
    # a new indicator in ZZ, ZZ-01's form, a change of it, its deletion: all refused
    assert client.post(new, _form(zz, "ZZ-09")).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, _form(zz, "ZZ-01")).status_code == 403
    assert client.post(edit, {"delete": "1"}).status_code == 403
    # moving an own indicator into ZZ is refused too
    lz01 = Indicator.objects.get(year=planning_year, code="LZ-01")
    lz_edit = reverse("appraisal:indicator_edit", args=[planning_year.year, lz01.pk])
    assert client.post(lz_edit, _form(zz, "LZ-01")).status_code == 403
    assert _indicators(planning_year) == before
    assert AuditEvent.objects.count() == audits


def test_department_deletes_its_own_indicator(client, org, planning_year):
    lz02 = Indicator.objects.get(year=planning_year, code="LZ-02")
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    url = reverse("appraisal:indicator_edit", args=[planning_year.year, lz02.pk])
    assert client.post(url, {"delete": "1"}).status_code == 302
    assert not Indicator.objects.filter(pk=lz02.pk).exists()
    event = AuditEvent.objects.get(event_type="appraisal.indicator_deleted")
    assert event.after == {"approval_withdrawn": True}


def test_department_gets_403_once_the_year_has_started(client, org, year):
    lz = Category.objects.get(year=year, code="LZ")
    lz01 = Indicator.objects.get(year=year, code="LZ-01")
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    new = reverse("appraisal:indicator_new", args=[year.year])
    edit = reverse("appraisal:indicator_edit", args=[year.year, lz01.pk])
    assert client.get(new).status_code == 403
    assert client.post(new, _form(lz, "LZ-09")).status_code == 403
    assert client.get(edit).status_code == 403
    assert client.post(edit, _form(lz, "LZ-01", max_points="1.00")).status_code == 403
    assert not Indicator.objects.filter(year=year, code="LZ-09").exists()
    # and the year page no longer offers anything to draft
    page = client.get(reverse("appraisal:year", args=[year.year])).content.decode()
    assert new not in page and edit not in page


# ---------------------------------------------------------------- approval


def test_office_approves_and_a_department_edit_withdraws_the_approval(client, org, planning_year):
    office, dept = org.user(Role.OFFICE_STAFF), org.user(Role.DEPT_ASSESSOR)
    assert planning_year.catalogue_approved_by == office  # the fixture approved it
    lz01 = Indicator.objects.get(year=planning_year, code="LZ-01")
    lz = lz01.category
    client.force_login(dept)
    url = reverse("appraisal:indicator_edit", args=[planning_year.year, lz01.pk])
    values = {
        **_form(lz, "LZ-01", name=lz01.name, max_points="5.00", schedule="quarterly"),
    }
    # saved unchanged: nothing changes, the approval stays
    assert client.post(url, values).status_code == 302
    assert _reload(planning_year).catalogue_approved_at is not None
    # a real change withdraws it, said in the change's one audit row
    audits = AuditEvent.objects.count()
    assert client.post(url, {**values, "max_points": "4.00"}).status_code == 302
    assert _reload(planning_year).catalogue_approved_at is None
    assert AuditEvent.objects.count() == audits + 1
    assert AuditEvent.objects.latest("pk").after["approval_withdrawn"] is True
    # the year cannot start now: its checklist says why and the button is disabled
    client.force_login(office)
    page = client.get(reverse("appraisal:year", args=[planning_year.year]))
    html = page.content.decode()
    assert 'data-testid="check-catalogue_approval"' in html
    assert page.context["checklist"].blocked
    assert 'data-testid="advance" disabled' in html
    with pytest.raises(ValidationError):
        services.year_advance(year_id=planning_year.pk, acting_user=office)
    response = client.post(
        reverse("appraisal:year_advance", args=[planning_year.year]),
        {"expected_status": "planning"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 303  # back to the year page with the reason, not a 500
    assert "The Office has not approved the catalogue" in " ".join(_messages(response))
    assert _reload(planning_year).status == YearStatus.PLANNING
    # the Office approves the catalogue it sees: one audit row, then the year starts
    form_digest = page.context["catalogue_digest"]
    response = client.post(
        reverse("appraisal:catalogue_approve", args=[planning_year.year]), {"digest": form_digest}
    )
    assert response.status_code == 302
    approved = _reload(planning_year)
    assert approved.catalogue_approved_by == office
    event = AuditEvent.objects.latest("pk")
    assert event.event_type == "appraisal.catalogue_approved" and event.actor == office
    year = services.year_advance(year_id=planning_year.pk, acting_user=office)
    assert year.status == YearStatus.IN_PROGRESS


def test_approval_is_refused_on_a_stale_page_and_twice(client, org, planning_year):
    office, dept = org.user(Role.OFFICE_STAFF), org.user(Role.DEPT_ASSESSOR)
    lz = Category.objects.get(year=planning_year, code="LZ")
    services.indicator_save(
        year_id=planning_year.pk,
        acting_user=dept,
        values={**_form(lz, "LZ-01"), "max_points": "4.00", "schedule": "quarterly"},
        pk=Indicator.objects.get(year=planning_year, code="LZ-01").pk,
    )
    client.force_login(office)
    page = client.get(reverse("appraisal:year", args=[planning_year.year]))
    digest = page.context["catalogue_digest"]
    # the department changes the catalogue after the Office opened the page
    services.indicator_save(
        year_id=planning_year.pk,
        acting_user=dept,
        values={**_form(lz, "LZ-01"), "max_points": "3.00", "schedule": "quarterly"},
        pk=Indicator.objects.get(year=planning_year, code="LZ-01").pk,
    )
    url = reverse("appraisal:catalogue_approve", args=[planning_year.year])
    audits = AuditEvent.objects.count()
    assert client.post(url, {"digest": digest}).status_code == 409
    assert _reload(planning_year).catalogue_approved_at is None
    # the page reloaded: approved; a second click is a 409 that changes nothing
    fresh = catalogue_digest(planning_year)
    assert client.post(url, {"digest": fresh}).status_code == 302
    assert client.post(url, {"digest": fresh}).status_code == 409
    assert AuditEvent.objects.count() == audits + 1
    # a request without the page's digest is refused (400), never read as blank
    assert client.post(url, {}).status_code == 400


def test_approval_of_a_catalogue_over_a_category_maximum_is_refused(client, org, planning_year):
    office = org.user(Role.OFFICE_STAFF)
    zz = Category.objects.get(year=planning_year, code="ZZ")
    services.indicator_save(
        year_id=planning_year.pk, acting_user=office, values=_form(zz, "ZZ-02")
    )  # ZZ: 40 + 2 points of 40
    client.force_login(office)
    response = client.post(
        reverse("appraisal:catalogue_approve", args=[planning_year.year]),
        {"digest": catalogue_digest(planning_year)},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 303
    assert any("ZZ" in m and "42.00" in m for m in _messages(response))
    assert _reload(planning_year).catalogue_approved_at is None


# ---------------------------------------------------------------- the department's sheet


def _own_sheet(client, year) -> list[list]:
    response = client.get(reverse("appraisal:category_export", args=[year.year]))
    assert response.status_code == 200
    book = load_workbook(
        BytesIO(b"".join(response.streaming_content) if response.streaming else response.content)
    )
    return [list(r) for r in book["指标"].iter_rows(values_only=True)]


def _upload(client, year, rows, **headers):
    url = reverse("appraisal:category_import", args=[year.year])
    return client.post(url, {"file": sheet_file({"指标": [IND_HEADER, *rows]})}, **headers)


def test_department_imports_its_own_sheet(client, org, planning_year):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    # its sheet holds only its own category's indicators
    rows = _own_sheet(client, planning_year)
    assert [r[0] for r in rows[1:]] == ["LZ-01", "LZ-02"]
    zz_before = [i for i in _indicators(planning_year) if i[1] != "LZ"]
    due = dt.date(planning_year.year, 6, 30)
    response = _upload(
        client,
        planning_year,
        [
            ["LZ-01", "LZ", "党风廉政建设季度报告", "", 10, "否", "季度", None],
            ["LZ-03", "LZ", "廉政教育", "半年一次", 15, "是", "一次", due],
        ],
    )
    assert response.status_code == 302
    after = _indicators(planning_year)
    assert [i for i in after if i[1] == "LZ"] == [
        ("LZ-01", "LZ", 10, "quarterly", None),
        ("LZ-03", "LZ", 15, "once", due),
    ]
    assert [i for i in after if i[1] != "LZ"] == zz_before  # the other categories untouched
    event = AuditEvent.objects.latest("pk")
    assert event.event_type == "appraisal.category_imported"
    assert event.after["categories"] == "LZ" and event.after["indicators"] == 2
    assert event.after["approval_withdrawn"] is True
    assert _reload(planning_year).catalogue_approved_at is None


def _exported(client, year) -> BytesIO:
    response = client.get(reverse("appraisal:category_export", args=[year.year]))
    assert response.status_code == 200
    assert "LZ" in response["Content-Disposition"]
    body = b"".join(response.streaming_content) if response.streaming else response.content
    buffer = BytesIO(body)
    buffer.name = "mine.xlsx"
    return buffer


def _full(year) -> list[tuple]:
    return list(
        Indicator.objects.filter(year=year)
        .order_by("code")
        .values_list(
            "code",
            "category__code",
            "name",
            "description",
            "max_points",
            "evidence_required",
            "schedule",
            "due_date",
        )
    )


def test_department_sheet_round_trips_unchanged(client, org, planning_year):
    # given an LZ with a one-off indicator (a due date, a description, evidence required),
    # approved by the Office
    office = org.user(Role.OFFICE_STAFF)
    lz = Category.objects.get(year=planning_year, code="LZ")
    due = dt.date(planning_year.year, 9, 30)
    Indicator.objects.filter(year=planning_year, code="LZ-02").update(max_points=18)  # room
    services.indicator_save(
        year_id=planning_year.pk,
        acting_user=office,
        values=_form(
            lz,
            "LZ-03",
            description="每年九月底前报送",
            evidence_required=True,
            schedule="once",
            due_date=due,
        ),
    )
    services.catalogue_approve(
        year_id=planning_year.pk, acting_user=office, digest=catalogue_digest(planning_year)
    )
    before, digest = _full(planning_year), catalogue_digest(planning_year)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    # when the department downloads its sheet and imports it back as it is
    sheet = _exported(client, planning_year)
    response = client.post(
        reverse("appraisal:category_import", args=[planning_year.year]), {"file": sheet}
    )
    # then every indicator is as it was, the approval stands, and the import is audited
    assert response.status_code == 302
    assert _full(planning_year) == before
    assert before[2][:4] == ("LZ-03", "LZ", "廉政风险点排查", "每年九月底前报送")
    assert before[2][5:] == (True, "once", due)
    assert catalogue_digest(planning_year) == digest
    assert _reload(planning_year).catalogue_approved_at is not None
    event = AuditEvent.objects.latest("pk")
    assert event.event_type == "appraisal.category_imported"
    assert event.actor == org.user(Role.DEPT_ASSESSOR)
    assert event.after["indicators"] == 3 and "approval_withdrawn" not in event.after
    # and a changed sheet, imported the same way, withdraws the approval
    book = load_workbook(_exported(client, planning_year))
    book["指标"]["E2"] = 4  # LZ-01: 5 → 4 points
    changed = BytesIO()
    book.save(changed)
    changed.seek(0)
    changed.name = "mine.xlsx"
    response = client.post(
        reverse("appraisal:category_import", args=[planning_year.year]), {"file": changed}
    )
    assert response.status_code == 302
    assert Indicator.objects.get(year=planning_year, code="LZ-01").max_points == 4
    assert _reload(planning_year).catalogue_approved_at is None
    assert AuditEvent.objects.latest("pk").after["approval_withdrawn"] is True


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (["ZZ-05", "ZZ", "三会一课", "", 5, "否", "无", None], "“ZZ” is a category of"),
        (["ZZ-01", "LZ", "重名", "", 1, "否", "无", None], "ZZ-01 is taken"),
        # one row over LZ's 25 points, and two rows that add up to more than 25
        (["LZ-04", "LZ", "过多", "", 30, "否", "无", None], "is more than the maximum of"),
        (["LZ-04", "LZ", "过多", "", 21, "否", "无", None], "add up to 26.00, more than 25.00"),
    ],
)
def test_a_bad_row_refuses_the_whole_sheet(client, org, planning_year, row, expected):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    before = _indicators(planning_year)
    audits = AuditEvent.objects.count()
    # in English: the messages of this change have no Chinese yet (the request's language, not
    # translation.override, decides the language of a message made by the view)
    response = _upload(
        client,
        planning_year,
        [["LZ-01", "LZ", "党风廉政建设季度报告", "", 5, "否", "季度", None], row],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 303
    messages = _messages(response)
    assert any(expected in m for m in messages), messages
    # all or nothing: the good row was not imported either
    assert _indicators(planning_year) == before
    assert AuditEvent.objects.count() == audits
    assert _reload(planning_year).catalogue_approved_at is not None


def test_the_refusal_names_the_row_and_the_other_department(client, org, planning_year):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    response = _upload(
        client,
        planning_year,
        [["ZZ-05", "ZZ", "三会一课", "", 5, "否", "无", None]],
        HTTP_ACCEPT_LANGUAGE="en",
    )
    text = " ".join(_messages(response))
    zz = Category.objects.get(year=planning_year, code="ZZ")
    assert "row 2" in text and zz.department in text and "LZ" in text


# ---------------------------------------------------------------- who may, while planning

OFFICE, DEPT = Role.OFFICE_STAFF, Role.DEPT_ASSESSOR


def _planning_views(year):
    lz01 = Indicator.objects.get(year=year, code="LZ-01")
    zz01 = Indicator.objects.get(year=year, code="ZZ-01")
    n = year.year
    return [
        ("get", reverse("appraisal:indicator_new", args=[n]), None, {OFFICE, DEPT}, 200),
        ("get", reverse("appraisal:indicator_edit", args=[n, lz01.pk]), None, {OFFICE, DEPT}, 200),
        ("get", reverse("appraisal:indicator_edit", args=[n, zz01.pk]), None, {OFFICE}, 200),
        ("get", reverse("appraisal:category_export", args=[n]), None, {OFFICE, DEPT}, 200),
        ("post", reverse("appraisal:category_import", args=[n]), {}, {OFFICE, DEPT}, 303),
        ("post", reverse("appraisal:catalogue_import", args=[n]), {}, {OFFICE}, 303),
        # approved already by the fixture: the Office's click is a 409
        ("post", reverse("appraisal:catalogue_approve", args=[n]), {"digest": "x"}, {OFFICE}, 409),
    ]


@pytest.mark.parametrize("role", sorted(Role.values))
def test_planning_catalogue_views_by_role(client, org, planning_year, role):
    client.force_login(org.user(role))
    for method, url, data, allowed, ok in _planning_views(planning_year):
        response = client.get(url) if method == "get" else client.post(url, data)
        expected = ok if role in allowed else 403
        assert response.status_code == expected, (role, url)


def test_planning_catalogue_views_of_another_sub_district_are_404(
    client, org, other_org, planning_year
):
    client.force_login(other_org.user(Role.OFFICE_STAFF))
    for method, url, data, _allowed, _ok in _planning_views(planning_year):
        response = client.get(url) if method == "get" else client.post(url, data)
        assert response.status_code == 404, url


# ---------------------------------------------------------------- item: defaults and due dates


def test_new_year_form_defaults_to_the_next_year_without_an_assessment(client, org, planning_year):
    this_year = timezone.localdate().year
    assert planning_year.year == this_year
    services.year_create(acting_user=org.user(Role.OFFICE_STAFF), number=this_year + 1)
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse("appraisal:years"))
    assert response.context["form"]["number"].value() == this_year + 2


def test_new_year_form_defaults_to_this_year_when_it_has_none(client, org):
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse("appraisal:years"))
    assert response.context["form"]["number"].value() == timezone.localdate().year


def test_catalogue_shows_the_due_date_of_a_one_off_indicator(client, org, planning_year):
    zz = Category.objects.get(year=planning_year, code="ZZ")
    services.indicator_save(
        year_id=planning_year.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        values=_form(zz, "ZZ-02", schedule="once", due_date=dt.date(planning_year.year, 3, 31)),
    )
    client.force_login(org.user(Role.COMMUNITY_STAFF))
    html = client.get(reverse("appraisal:year", args=[planning_year.year])).content.decode()
    assert f"{planning_year.year}-03-31" in html
    assert 'data-testid="due-ZZ-02"' in html
    assert 'data-testid="due-LZ-01"' not in html  # a periodic one is due at its period's end


def test_the_start_checklist_is_in_one_language(client, org, planning_year):
    # given a catalogue awaiting approval
    AssessmentYear.objects.filter(pk=planning_year.pk).update(catalogue_approved_at=None)
    client.force_login(org.user(Role.OFFICE_STAFF))
    # when the Office reads the year page in English
    html = client.get(
        reverse("appraisal:year", args=[planning_year.year]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    # then the checklist before the start has no Chinese left in it
    start = html.index('data-testid="checklist"')
    checklist = html[start : html.index("</section>", start)]
    assert "Before the start (In progress)" in checklist
    assert "blocks the start" in checklist
    assert not re.search(r"[\u4e00-\u9fff]", checklist), checklist
