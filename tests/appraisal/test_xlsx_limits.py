"""The catalogue and comprehensive-evaluation imports through the one reader (core.spreadsheets):
a compressed bomb is refused before openpyxl parses it, with the message on the page of the
import form (not a separate error page), and a number no score can be
(≥ 10¹⁵, -10²⁶, inf, NaN) is a message naming its sheet, row and column, never a 500."""

import re
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from appraisal import services
from appraisal.files import catalogue, inputs
from appraisal.selectors.catalogue import catalogue_digest
from core.models import AuditEvent, Role
from tests import spreadsheet_files as files
from tests.appraisal.test_xlsx import INDS, catalogue_file, comp_file, comp_state, refused, snapshot

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PLACEHOLDER = 777001


@pytest.fixture
def office(org):
    return org.user(Role.OFFICE_STAFF)


@pytest.fixture
def year(org, office):
    return services.year_create(acting_user=office, number=2026)


@pytest.fixture
def started(office, year):
    catalogue.import_catalogue(year, catalogue_file(), office)
    year.refresh_from_db()  # Art. 5: the Office approves the catalogue before the year starts
    services.catalogue_approve(year_id=year.pk, acting_user=office, digest=catalogue_digest(year))
    return services.year_advance(year_id=year.pk, acting_user=office)


@pytest.fixture
def no_parsing(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl.load_workbook was called")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def assert_refused_on_the_page(response) -> str:
    """The page of the import form, status 200, with the refusal among its messages in Chinese."""
    assert response.status_code == 200
    html = response.content.decode()
    alerts = re.findall(r'class="alert alert-danger[^"]*"[^>]*>(.*?)</div>', html, re.S)
    assert any(re.search(r"[\u4e00-\u9fff]", a) for a in alerts), alerts
    assert 'type="file"' in html
    return html


def upload(data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("目录.xlsx", data, content_type=XLSX)


def test_the_catalogue_import_refuses_the_bomb(client, office, year, no_parsing):
    client.force_login(office)
    before, audits = snapshot(year), AuditEvent.objects.count()
    url = reverse("appraisal:catalogue_import", args=[year.year])
    response = client.post(url, {"file": upload(files.bomb())}, follow=True)
    assert response.redirect_chain == [(reverse("appraisal:year", args=[year.year]), 303)]
    assert_refused_on_the_page(response)
    assert snapshot(year) == before and AuditEvent.objects.count() == audits


def test_the_comprehensive_import_refuses_the_bomb(client, office, started, no_parsing):
    client.force_login(office)
    before, audits = comp_state(started), AuditEvent.objects.count()
    url = reverse("appraisal:comprehensive_import", args=[started.year])
    response = client.post(url, {"file": upload(files.bomb())}, follow=True)
    assert response.redirect_chain == [(reverse("appraisal:inputs", args=[started.year]), 303)]
    assert_refused_on_the_page(response)
    assert comp_state(started) == before and AuditEvent.objects.count() == audits


def test_a_file_over_the_size_limit_is_a_message_on_the_import_page(client, office, year, settings):
    # given a limit of 10 KB on spreadsheets
    settings.SPREADSHEET_MAX_FILE_BYTES = 10 * 1024
    client.force_login(office)
    before, audits = snapshot(year), AuditEvent.objects.count()
    big = upload(catalogue_file().getvalue() + b"\0" * (11 * 1024))
    # when the Office imports a larger file
    response = client.post(
        reverse("appraisal:catalogue_import", args=[year.year]), {"file": big}, follow=True
    )
    # then the year page (with its import form and the size hint) says so; nothing changed
    assert response.redirect_chain == [(reverse("appraisal:year", args=[year.year]), 303)]
    html = assert_refused_on_the_page(response)
    assert "10.0" in html and 'data-testid="upload-hint"' in html
    assert snapshot(year) == before and AuditEvent.objects.count() == audits


def test_a_sheet_of_too_many_cells_is_refused_by_the_service(office, year, no_parsing):
    from core.spreadsheets import SpreadsheetTooLarge

    with pytest.raises(SpreadsheetTooLarge):
        catalogue.import_catalogue(year, BytesIO(files.many_cells(300_000)), office)


def _raw(buffer: BytesIO, raw: str) -> BytesIO:
    """The workbook with the placeholder number cell holding `raw` as its XML text."""
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
def test_a_huge_max_points_names_sheet_row_and_column(office, year, value, problem):
    inds = [list(r) for r in INDS]
    raw = isinstance(value, str) and value in ("inf", "NaN", "1e400")
    inds[2][4] = PLACEHOLDER if raw else value  # sheet 指标, row 4, column 满分
    file = catalogue_file(inds=inds)
    messages = refused(year, office, _raw(file, value) if raw else file)
    assert any(m.startswith("指标 row 4 “满分”: ") and problem in m for m in messages), messages


@pytest.mark.parametrize("value, problem", HUGE)
def test_a_huge_comprehensive_score_names_sheet_row_and_column(office, started, value, problem):
    raw = isinstance(value, str) and value in ("inf", "NaN", "1e400")
    file = comp_file(
        [["A-c01", None, 90, "否"], ["A-c02", None, PLACEHOLDER if raw else value, "否"]]
    )
    before = comp_state(started)
    with translation.override("en"), pytest.raises(inputs.ComprehensiveErrors) as caught:
        inputs.import_comprehensive(started, _raw(file, value) if raw else file, office)
    expected = "综合考评 row 3 “综合考评得分”: "
    assert any(m.startswith(expected) and problem in m for m in caught.value.messages), (
        caught.value.messages
    )
    assert comp_state(started) == before


def test_a_huge_score_through_the_page_is_a_message_not_a_500(client, office, started):
    client.force_login(office)
    url = reverse("appraisal:comprehensive_import", args=[started.year])
    file = comp_file([["A-c01", None, 1e26, "否"]])
    response = client.post(url, {"file": upload(file.getvalue())}, follow=True)
    assert response.status_code == 200
    assert "1e+26" in response.content.decode()
    assert comp_state(started) == {}
