"""Every workbook the year's pages export writes user text as text (core.spreadsheets, the one
writer): a community-typed claim title "=1+1" or a category named "=…" never becomes a formula."""

from io import BytesIO

import pytest
from openpyxl import load_workbook

from appraisal.files import catalogue
from appraisal.models import Category
from core.models import Role
from tests.appraisal.test_results_views import get, make_year, url

pytestmark = pytest.mark.django_db


def cells(data: bytes):
    book = load_workbook(BytesIO(data), data_only=False)
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_a_claim_title_typed_as_a_formula_is_exported_as_text(client, org):
    # given a community's late claim titled like a formula, and a category named like one
    y = make_year(org)
    y.late.title = "=1+1"
    y.late.save(update_fields=["title"])
    Category.objects.filter(year=y.year, code="LZ").update(name="=SUM(1)")
    # when the Office exports the ranking
    response = get(client, org.user(Role.OFFICE_STAFF), url("results_export"))
    # then the exclusion names the claim by its literal title, a string cell
    found = {c.value: c for c in cells(response.content) if isinstance(c.value, str)}
    title = next(c for v, c in found.items() if v.startswith("=1+1"))
    assert title.value == "=1+1（市级）" and title.data_type == "s"
    header = found["=SUM(1)（25.00）"]
    assert header.data_type == "s"
    # and no cell of the file is a formula; the figures are still numbers
    assert not [c for c in cells(response.content) if c.data_type == "f"]
    ranking = load_workbook(BytesIO(response.content)).worksheets[0]
    assert isinstance(ranking.cell(row=2, column=15).value, float)


def test_the_catalogue_template_and_export_contain_no_formula(org):
    year = make_year(org).year
    Category.objects.filter(year=year, code="LZ").update(name="=1+1", department="@x")
    for data in (catalogue.catalogue_workbook(year), catalogue.catalogue_workbook(None)):
        assert not [c for c in cells(data) if c.data_type == "f"]
    names = [c for c in cells(catalogue.catalogue_workbook(year)) if c.value == "=1+1"]
    assert names and all(c.data_type == "s" and c.quotePrefix for c in names)
