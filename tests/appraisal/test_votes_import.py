"""The satisfaction tallies (scoring.md §4) as a workbook, like the comprehensive evaluation: an
export to fill in, an import that names the sheet, row and column of every problem, refuses the
whole sheet on any bad row (one transaction, one audit row), and the inputs page whose ballot
boxes each say which community and which column they are."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from appraisal.files import inputs
from appraisal.models import Vote
from core.models import AuditEvent, Role
from tests import spreadsheet_files as files
from tests.appraisal.test_xlsx import sheet_file
from tests.appraisal.test_xlsx_limits import assert_refused_on_the_page

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = [
    "单位代码",
    "单位名称",
    "述职评议满意",
    "述职评议基本满意",
    "述职评议不满意",
    "民主测评满意",
    "民主测评基本满意",
    "民主测评不满意",
]
PLACEHOLDER = 777001


@pytest.fixture
def office(org):
    return org.user(Role.OFFICE_STAFF)


def votes_file(rows) -> BytesIO:
    return sheet_file({"满意度评价": [HEADER, *rows]}, name="满意度评价.xlsx")


def state(year) -> dict:
    return {
        (v.unit.code, v.kind): (v.satisfied, v.basically, v.dissatisfied)
        for v in Vote.objects.filter(year=year).select_related("unit")
    }


def refused(year, office, upload) -> list[str]:
    """Import in English (the msgids); nothing may have changed, no audit row written."""
    before, audits = state(year), AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(inputs.VoteErrors) as caught:
        inputs.import_votes(year, upload, office)
    assert state(year) == before
    assert AuditEvent.objects.count() == audits
    return caught.value.messages


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("满意度评价.xlsx", data, content_type=XLSX)


def test_the_template_lists_the_assessed_communities_with_their_tallies(org, office, year):
    inputs.import_votes(year, votes_file([["A-c02", None, 7, 2, 1, 30, 0, 0]]), office)
    book = load_workbook(BytesIO(inputs.votes_workbook(year)))
    assert book.sheetnames == ["满意度评价", "说明"]
    assert [list(r) for r in book["满意度评价"].iter_rows(values_only=True)] == [
        HEADER,
        ["A-c01", "A-c01", 0, 0, 0, 0, 0, 0],
        ["A-c02", "A-c02", 7, 2, 1, 30, 0, 0],
    ]


def test_a_filled_in_template_is_imported_in_one_audited_write(org, office, year):
    # given the exported template, filled in
    book = load_workbook(BytesIO(inputs.votes_workbook(year)))
    sheet = book["满意度评价"]
    for column, value in zip("CDEFGH", (40, 8, 2, 55, 5, 0), strict=True):
        sheet[f"{column}2"] = value
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    audits = AuditEvent.objects.count()
    # when it is imported
    result = inputs.import_votes(year, buffer, office)
    # then both votes of c01 are saved (c02, all zero, stays without ballots), with one audit row
    assert state(year) == {
        ("A-c01", "debriefing"): (40, 8, 2),
        ("A-c01", "democratic"): (55, 5, 0),
    }
    assert result == {"rows": 2, "changed": 2}
    assert AuditEvent.objects.count() == audits + 1
    event = AuditEvent.objects.latest("pk")
    assert event.event_type == "appraisal.votes_saved" and event.actor == office


def test_communities_not_in_the_file_keep_their_tallies(org, office, year):
    inputs.import_votes(year, votes_file([["A-c01", None, 1, 1, 1, 1, 1, 1]]), office)
    inputs.import_votes(year, votes_file([["A-c02", "A-c02", 2, None, 0, 3, "", 0]]), office)
    assert state(year) == {
        ("A-c01", "debriefing"): (1, 1, 1),
        ("A-c01", "democratic"): (1, 1, 1),
        ("A-c02", "debriefing"): (2, 0, 0),
        ("A-c02", "democratic"): (3, 0, 0),
    }


def test_every_bad_row_is_named_and_the_whole_sheet_is_refused(org, office, year):
    # given a good row 2 and bad rows below it
    messages = refused(
        year,
        office,
        votes_file(
            [
                ["A-c01", None, 40, 8, 2, 55, 5, 0],
                ["A-c02", "别的社区", 3.5, -1, "abc", 1000001, "=1+1", 0],
                ["nope", None, 1, 1, 1, 1, 1, 1],
                ["A-c01", None, 1, 1, 1, 1, 1, 1],
            ]
        ),
    )
    # then every problem names its sheet, row and column, and row 2 was not saved either
    expected = [
        "满意度评价 row 3 “述职评议满意”: “3.5” is not a whole number.",
        "满意度评价 row 3 “述职评议基本满意”: -1 is less than 0.",
        "满意度评价 row 3 “述职评议不满意”: “abc” is not a number.",
        "满意度评价 row 3 “民主测评满意”: 1000001 is more than 1000000.",
        "满意度评价 row 4 “单位代码”: no community with the code “nope” is assessed in",
        "满意度评价 row 5 “单位代码”: the code “A-c01” appears twice (first in row 2).",
        "满意度评价 row 3 “单位名称”: “别的社区” is not the community of code A-c02",
    ]
    for line in expected:
        assert any(m.startswith(line) for m in messages), (line, messages)
    assert any(
        m.startswith("满意度评价 row 3 “民主测评基本满意”: the cell holds a formula")
        for m in messages
    )
    assert len(messages) == len(expected) + 1


def _raw(buffer: BytesIO, raw: str) -> BytesIO:
    return files.replaced(buffer.getvalue(), {f"<v>{PLACEHOLDER}</v>": f"<v>{raw}</v>"})


HUGE = [
    (1e26, "“1e+26” is too large a number."),
    (-1e26, "“-1e+26” is too large a number."),
    (10**30, "is too large a number."),
    ("1e26", "“1e26” is too large a number."),
    ("inf", "“inf” is not a number."),
    ("NaN", "“NaN” is not a number."),
    ("1e400", "“inf” is not a number."),
]


@pytest.mark.parametrize("value, problem", HUGE)
def test_a_huge_count_names_sheet_row_and_column(org, office, year, value, problem):
    raw = isinstance(value, str) and value in ("inf", "NaN", "1e400")
    file = votes_file(
        [
            ["A-c01", None, 1, 0, 0, 1, 0, 0],
            ["A-c02", None, 1, 0, 0, 1, 0, PLACEHOLDER if raw else value],
        ]
    )
    messages = refused(year, office, _raw(file, value) if raw else file)
    assert any(
        m.startswith("满意度评价 row 3 “民主测评不满意”: ") and problem in m for m in messages
    ), messages


def test_a_sheet_without_rows_or_columns_is_refused(org, office, year):
    assert refused(year, office, votes_file([])) == ["Sheet 满意度评价 has no rows to import."]
    lacking = sheet_file({"满意度评价": [HEADER[:5], ["A-c01", None, 1, 1, 1]]})
    (message,) = refused(year, office, lacking)
    assert "民主测评满意" in message


# ---------------------------------------------------------------- through the page


def test_the_page_imports_and_shows_the_result(client, org, office, year):
    client.force_login(office)
    url = reverse("appraisal:votes_import", args=[year.year])
    file = votes_file([["A-c01", None, 10, 0, 0, 20, 0, 0]])
    response = client.post(url, {"file": upload(file.getvalue())})
    assert response.status_code == 302
    assert state(year) == {("A-c01", "debriefing"): (10, 0, 0), ("A-c01", "democratic"): (20, 0, 0)}


def test_a_bad_file_through_the_page_is_a_message_not_a_500(client, org, office, year):
    client.force_login(office)
    url = reverse("appraisal:votes_import", args=[year.year])
    file = votes_file([["A-c01", None, 1e26, 0, 0, 0, 0, 0]])
    response = client.post(url, {"file": upload(file.getvalue())}, follow=True)
    assert response.status_code == 200
    assert "1e+26" in response.content.decode()
    assert state(year) == {}


def test_the_bomb_is_refused_before_parsing(client, org, office, year, monkeypatch):
    import openpyxl

    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)
    client.force_login(office)
    audits = AuditEvent.objects.count()
    url = reverse("appraisal:votes_import", args=[year.year])
    response = client.post(url, {"file": upload(files.bomb())}, follow=True)
    # the inputs page again, the refusal as its message (the form kept, no separate error page)
    assert response.redirect_chain == [(reverse("appraisal:inputs", args=[year.year]), 303)]
    assert_refused_on_the_page(response)
    assert state(year) == {} and AuditEvent.objects.count() == audits


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.DEPT_ASSESSOR, Role.LEADER, Role.COMMUNITY_STAFF, Role.ADMIN]
)
def test_only_the_office_imports_votes(client, org, year, role):
    client.force_login(org.user(role))
    url = reverse("appraisal:votes_import", args=[year.year])
    file = votes_file([["A-c01", None, 10, 0, 0, 20, 0, 0]])
    assert client.post(url, {"file": upload(file.getvalue())}).status_code in (403, 404)
    assert state(year) == {}


def test_the_auditor_downloads_the_template_but_has_no_import_form(client, org, year):
    client.force_login(org.user(Role.AUDITOR))
    response = client.get(reverse("appraisal:votes_export", args=[year.year]))
    assert response.status_code == 200
    assert load_workbook(BytesIO(b"".join(response))).sheetnames == ["满意度评价", "说明"]
    page = client.get(reverse("appraisal:inputs", args=[year.year])).content.decode()
    assert reverse("appraisal:votes_import", args=[year.year]) not in page
    assert reverse("appraisal:votes_export", args=[year.year]) in page


def test_every_input_of_a_row_has_its_own_label(client, org, office, year):
    client.force_login(office)
    page = client.get(reverse("appraisal:inputs", args=[year.year])).content.decode()
    for unit in (org.community, org.community2):
        row = re.search(rf'<tr><th scope="row" class="small">{unit.name}</th>.*?</tr>', page, re.S)
        labels = re.findall(r'aria-label="([^"]+)"', row.group(0))
        assert len(labels) == 8 and len(set(labels)) == 8, labels
        assert all(label.startswith(f"{unit.name} · ") for label in labels)
    labels = re.findall(r'aria-label="([^"]+)"', page)
    assert len(labels) == len(set(labels))
