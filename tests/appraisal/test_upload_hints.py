"""Every spreadsheet import says what it accepts before the upload (Art. 5, Art. 11 item 8): the
Office's catalogue import and a department's own category sheet, on the year page."""

import pytest
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.translation import gettext

from core.models import Role

pytestmark = pytest.mark.django_db


def _hint(settings) -> str:
    return gettext("An Excel workbook (.xlsx) of at most %(limit)s.") % {
        "limit": filesizeformat(settings.SPREADSHEET_MAX_FILE_BYTES)
    }


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.DEPT_ASSESSOR])
def test_the_year_page_states_the_limit_under_its_import(
    client, org, planning_year, role, settings
):
    settings.SPREADSHEET_MAX_FILE_BYTES = 2 * 1024 * 1024
    client.force_login(org.user(role))
    html = client.get(reverse("appraisal:year", args=[planning_year.year])).content.decode()
    assert html.count('type="file"') == 1
    assert html.count('data-testid="upload-hint"') == 1
    assert _hint(settings) in html.replace("&nbsp;", "\xa0")
