"""Catalogue and comprehensive-evaluation spreadsheets (appraisal.xlsx): round trips, every refusal
names its sheet, row and column, and a refused file changes nothing."""

import copy
import datetime as dt
from decimal import Decimal
from io import BytesIO

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import translation
from openpyxl import Workbook, load_workbook

from appraisal import catalogue_data, services
from appraisal.files import catalogue, inputs
from appraisal.models import (
    AssessmentYear,
    Category,
    Comprehensive,
    Indicator,
    YearStatus,
)
from appraisal.selectors.catalogue import catalogue_digest
from core.errors import Conflict
from core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

CAT_HEADER = ["代码", "名称", "牵头部门", "满分"]
IND_HEADER = ["代码", "类别代码", "名称", "指标说明", "满分", "需提供佐证", "报送频次", "截止日期"]
CATS = [
    ["LZ", "党风廉政建设", "A-lz", 25],
    ["ZZ", "组织建设", "A-zz", 40],
    ["XC", "宣传意识形态", "A-xc", 20],
    ["QT", "其他任务", "A-office", 15],
]
INDS = [
    ["LZ-01", "LZ", "落实主体责任", "每季度报送", 25, "否", "季度", None],
    ["ZZ-01", "ZZ", "三会一课", "", 20, "是", "月度", None],
    ["ZZ-02", "ZZ", "年度计划报备", "第八条", 20, "是", "一次", dt.date(2026, 3, 31)],
    ["XC-01", "XC", "意识形态", None, 20, "否", "年度", None],
    ["QT-01", "QT", "重点任务", None, 15, None, "无", None],
]


def sheet_file(sheets: dict[str, list[list]], name: str = "目录.xlsx") -> BytesIO:
    """A workbook written cell by cell: strings starting with “=” become formulas, as in Excel."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    buffer.name = name
    return buffer


def catalogue_file(cats=None, inds=None) -> BytesIO:
    return sheet_file(
        {
            "类别": [CAT_HEADER, *(CATS if cats is None else cats)],
            "指标": [IND_HEADER, *(INDS if inds is None else inds)],
        }
    )


def snapshot(year) -> tuple:
    cats = [
        (c.code, c.name, c.department, c.lead_unit_id, c.max_points, c.sort_order)
        for c in Category.objects.filter(year=year).order_by("sort_order", "code")
    ]
    inds = [
        (
            i.code,
            i.category.code,
            i.name,
            i.description,
            i.max_points,
            i.evidence_required,
            i.schedule,
            i.required_reports,
            i.due_date,
            i.sort_order,
        )
        for i in Indicator.objects.filter(year=year).select_related("category").order_by("code")
    ]
    return cats, inds


@pytest.fixture
def office(org):
    return org.user(Role.OFFICE_STAFF)


@pytest.fixture
def year(org, office) -> AssessmentYear:
    """2026 in planning, with the four default categories of Art. 4 and no indicators."""
    return services.year_create(acting_user=office, number=2026)


@pytest.fixture
def started(org, office, year) -> AssessmentYear:
    """2026 in progress: A's two communities assessed."""
    catalogue.import_catalogue(year, catalogue_file(), office)
    year.refresh_from_db()
    services.catalogue_approve(year_id=year.pk, acting_user=office, digest=catalogue_digest(year))
    return services.year_advance(year_id=year.pk, acting_user=office)


def refused(year, office, upload, error=catalogue.CatalogueErrors) -> list[str]:
    """Import in English (the msgids) and return the messages; nothing may have changed."""
    before = snapshot(year)
    audits = AuditEvent.objects.count()
    with translation.override("en"), pytest.raises(error) as caught:
        catalogue.import_catalogue(year, upload, office)
    assert snapshot(year) == before
    assert AuditEvent.objects.count() == audits
    return caught.value.messages


# ---------------------------------------------------------------- catalogue: the happy path


def test_import_replaces_the_catalogue_and_writes_one_audit_row(org, office, year):
    # given the year's four default categories
    assert Category.objects.filter(year=year).count() == 4
    # when the Office imports a workbook
    counts = catalogue.import_catalogue(year, catalogue_file(), office)
    # then categories and indicators are those of the file, in its order
    assert counts == {"categories": 4, "indicators": 5}
    cats, inds = snapshot(year)
    assert cats == [
        ("LZ", "党风廉政建设", "A-lz", org.dept_lz.pk, Decimal("25.00"), 0),
        ("ZZ", "组织建设", "A-zz", org.dept_zz.pk, Decimal("40.00"), 1),
        ("XC", "宣传意识形态", "A-xc", org.dept_xc.pk, Decimal("20.00"), 2),
        ("QT", "其他任务", "A-office", org.office.pk, Decimal("15.00"), 3),
    ]
    assert inds == [
        (
            "LZ-01",
            "LZ",
            "落实主体责任",
            "每季度报送",
            Decimal("25"),
            False,
            "quarterly",
            4,
            None,
            0,
        ),
        ("QT-01", "QT", "重点任务", "", Decimal("15"), False, "none", 0, None, 4),
        ("XC-01", "XC", "意识形态", "", Decimal("20"), False, "annual", 1, None, 3),
        ("ZZ-01", "ZZ", "三会一课", "", Decimal("20"), True, "monthly", 12, None, 1),
        (
            "ZZ-02",
            "ZZ",
            "年度计划报备",
            "第八条",
            Decimal("20"),
            True,
            "once",
            1,
            dt.date(2026, 3, 31),
            2,
        ),
    ]
    event = AuditEvent.objects.get(event_type="appraisal.catalogue_imported")
    assert event.actor == office
    assert event.sub_district_id == org.sd.pk
    assert event.before == {"categories": 4, "indicators": 0}
    assert event.after == {"categories": 4, "indicators": 5, "source": "目录.xlsx"}


def test_round_trip_of_the_example_catalogue(org, office, year):
    # given the example catalogue imported from rows (as the demo does)
    leads = {"lz": "A-lz", "zz": "A-zz", "xc": "A-xc", "": "A-office"}
    catalogue.import_catalogue_rows(
        year,
        categories=[
            {
                "code": c.code,
                "name": c.name,
                "department": leads[c.line],
                "max_points": c.max_points,
            }
            for c in catalogue_data.CATEGORIES
        ],
        indicators=[
            {
                "code": i.code,
                "category": i.category,
                "name": i.name,
                "description": i.description,
                "max_points": i.max_points,
                "evidence_required": "是" if i.evidence_required else "否",
                "schedule": catalogue.SCHEDULE_LABELS[i.schedule],
                "due_date": dt.date(2026, *i.due) if i.due else None,
            }
            for i in catalogue_data.INDICATORS
        ],
        acting_user=office,
    )
    before = snapshot(year)
    assert len(before[1]) == len(catalogue_data.INDICATORS)
    # when it is exported and the export imported again
    data = catalogue.catalogue_workbook(year)
    counts = catalogue.import_catalogue(year, BytesIO(data), office)
    # then the catalogue is the same
    assert counts == {"categories": 4, "indicators": len(catalogue_data.INDICATORS)}
    assert snapshot(year) == before
    # and the export reads as a person expects: Chinese labels, dates as dates, the notes sheet
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["类别", "指标", "说明"]
    rows = list(book["指标"].iter_rows(values_only=True))
    assert list(rows[0]) == IND_HEADER
    qt01 = next(r for r in rows if r[0] == "QT-01")
    assert qt01[5:] == ("是", "一次", dt.datetime(2026, 3, 31))
    assert {r[6] for r in rows[1:]} == {"无", "一次", "年度", "季度", "月度"}
    notes = [c for row in book["说明"].iter_rows(values_only=True) for c in row if c]
    assert "报送频次" in notes and any("月度" in str(n) for n in notes)


def test_non_string_cells_and_text_that_looks_like_a_formula(office, year):
    # given numbers for codes and names, a float with 1 decimal, a bool, a text starting with "="
    inds = copy.deepcopy(INDS)
    inds[0][2] = 2026  # a name that is a number
    inds[0][4] = 24.5
    inds[1][5] = True
    upload = catalogue_file(inds=inds)
    book = load_workbook(upload)
    book["指标"]["D3"] = "=不是公式"
    book["指标"]["D3"].data_type = "s"  # typed as text, as Excel does after an apostrophe
    buffer = BytesIO()
    book.save(buffer)
    buffer.seek(0)
    # when imported
    catalogue.import_catalogue(year, buffer, office)
    # then the cells are read as what they mean
    lz = Indicator.objects.get(year=year, code="LZ-01")
    assert (lz.name, lz.max_points) == ("2026", Decimal("24.50"))
    zz = Indicator.objects.get(year=year, code="ZZ-01")
    assert (zz.evidence_required, zz.description) == (True, "=不是公式")
    # and the export keeps that text a text, never a formula
    exported = load_workbook(BytesIO(catalogue.catalogue_workbook(year)))
    cell = next(r for r in exported["指标"].iter_rows() if r[0].value == "ZZ-01")[3]
    assert (cell.value, cell.data_type) == ("=不是公式", "s")


def test_template_has_headers_and_notes_only(office, year):
    data = catalogue.catalogue_workbook(None)
    book = load_workbook(BytesIO(data))
    assert book.sheetnames == ["类别", "指标", "说明"]
    assert [list(r) for r in book["类别"].iter_rows(values_only=True)] == [CAT_HEADER]
    assert [list(r) for r in book["指标"].iter_rows(values_only=True)] == [IND_HEADER]
    # importing the empty template says there is nothing in it
    messages = refused(year, office, BytesIO(data))
    assert messages == ["Sheet 类别 has no rows to import.", "Sheet 指标 has no rows to import."]


# ---------------------------------------------------------------- catalogue: refusals


def test_message_names_sheet_row_and_column(office, year):
    inds = [*INDS, ["QT-02", "QT", "补充", None, "abc", "否", "无", None]]  # sheet row 7
    messages = refused(year, office, catalogue_file(inds=inds))
    assert messages == ["指标 row 7 “满分”: “abc” is not a number."]


def _ind(row: int, column: int, value):
    """Change one cell of the indicator rows (row as Excel numbers it, column 0-based)."""

    def change(cats, inds):
        inds[row - 2][column] = value

    return change


def _cat(row: int, column: int, value):
    def change(cats, inds):
        cats[row - 2][column] = value

    return change


@pytest.mark.parametrize(
    "change, sheet, row, column, fragment",
    [
        (_ind(3, 4, "2.345"), "指标", 3, "满分", "more than 2 decimal places"),
        (_ind(3, 4, -1), "指标", 3, "满分", "less than 0"),
        (_ind(4, 2, None), "指标", 4, "名称", "required"),
        (_ind(4, 2, "   "), "指标", 4, "名称", "required"),
        (_ind(4, 0, "ZZ-01"), "指标", 4, "代码", "appears twice (first in row 3)"),
        (_ind(4, 0, "zz-01"), "指标", 4, "代码", "appears twice (first in row 3)"),
        (_ind(2, 0, "LZ 01"), "指标", 2, "代码", "not a valid code"),
        (_ind(2, 1, "DJ"), "指标", 2, "类别代码", "no category has the code “DJ”"),
        (_ind(3, 6, "半年"), "指标", 3, "报送频次", "not a reporting schedule"),
        (_ind(3, 6, None), "指标", 3, "报送频次", "required"),
        (_ind(4, 7, None), "指标", 4, "截止日期", "needs its due date"),
        (_ind(4, 7, dt.date(2027, 1, 5)), "指标", 4, "截止日期", "is not in 2026"),
        (_ind(4, 7, "下月底"), "指标", 4, "截止日期", "not a date"),
        (_ind(4, 7, 46112), "指标", 4, "截止日期", "not a date"),
        (_ind(2, 7, dt.date(2026, 3, 31)), "指标", 2, "截止日期", "only a one-off report"),
        (_ind(3, 5, "maybe"), "指标", 3, "需提供佐证", "write 是 or 否"),
        (_ind(2, 4, 26), "指标", 2, "满分", "more than the maximum of category LZ (25.00)"),
        (_ind(2, 4, "=20+5"), "指标", 2, "满分", "holds a formula (=20+5)"),
        (_ind(2, 2, "=A1"), "指标", 2, "名称", "holds a formula"),
        (_cat(3, 2, "不存在的部门"), "类别", 3, "牵头部门", "neither a lead department"),
        (_cat(5, 3, "十五"), "类别", 5, "满分", "is not a number"),
        (_cat(5, 1, "x" * 101), "类别", 5, "名称", "too long"),
        # ZZ's indicators (20 + 20) may not add up to more than ZZ's 40 points
        (_ind(3, 4, "20.5"), "类别", 3, "满分", "indicators of ZZ add up to 40.50, more than 40"),
    ],
)
def test_each_bad_cell_is_named_and_nothing_changes(
    office, year, change, sheet, row, column, fragment
):
    cats, inds = copy.deepcopy(CATS), copy.deepcopy(INDS)
    change(cats, inds)
    messages = refused(year, office, catalogue_file(cats, inds))
    assert len(messages) == 1, messages
    (message,) = messages
    assert message.startswith(f"{sheet} row {row} “{column}”: "), message
    assert fragment in message


def test_all_problems_are_reported_at_once(office, year):
    cats, inds = copy.deepcopy(CATS), copy.deepcopy(INDS)
    cats[0][3] = 30  # 30 + 40 + 20 + 15 = 105
    inds[1][6] = "每月"
    inds[4][1] = "??"
    messages = refused(year, office, catalogue_file(cats, inds))
    assert messages == [
        "Sheet 类别: the category maxima add up to 105.00, not 100 (Art. 4).",
        "指标 row 3 “报送频次”: “每月” is not a reporting schedule: "
        "write one of 无、一次、年度、季度、月度.",
        "指标 row 6 “类别代码”: “??” is not a valid code (letters, digits, “-”, “_” or “.”).",
    ]


def test_the_lead_department_may_be_given_by_its_short_name(org, office, year):
    org.dept_lz.short_name = "纪检"
    org.dept_lz.save()
    cats = copy.deepcopy(CATS)
    cats[0][2] = "纪检"
    catalogue.import_catalogue(year, catalogue_file(cats=cats), office)
    lz = Category.objects.get(year=year, code="LZ")
    assert (lz.lead_unit, lz.department) == (org.dept_lz, "A-lz")


def test_a_duplicate_category_code_and_what_follows_from_it(office, year):
    cats = copy.deepcopy(CATS)
    cats[1][0] = "lz"
    messages = refused(year, office, catalogue_file(cats=cats))
    assert messages == [
        "类别 row 3 “代码”: the code “lz” appears twice (first in row 2).",
        "Sheet 类别: the category maxima add up to 60.00, not 100 (Art. 4).",
        "指标 row 3 “类别代码”: no category has the code “ZZ” in sheet 类别.",
        "指标 row 4 “类别代码”: no category has the code “ZZ” in sheet 类别.",
    ]


def test_a_community_is_not_a_lead_department(office, year):
    cats = copy.deepcopy(CATS)
    cats[0][2] = "A-c01"
    (message,) = refused(year, office, catalogue_file(cats=cats))
    assert message.startswith("类别 row 2 “牵头部门”: “A-c01”")


@pytest.mark.parametrize(
    "upload, fragment",
    [
        (BytesIO(b"code,name\nLZ,x\n"), "could not be read as an Excel workbook"),
        (BytesIO(b"%PDF-1.4\n%%EOF\n"), "could not be read as an Excel workbook"),
        (BytesIO(b""), "could not be read as an Excel workbook"),
        (sheet_file({"Sheet1": [["a"]]}), "no sheet “类别”"),
        (sheet_file({"类别": [CAT_HEADER, *CATS]}), "no sheet “指标”"),
        (
            sheet_file({"类别": [CAT_HEADER[:3], *CATS], "指标": [IND_HEADER, *INDS]}),
            "Sheet 类别: the header row (row 1) lacks the columns “满分”.",
        ),
        (sheet_file({"类别": [], "指标": [IND_HEADER, *INDS]}), "lacks the columns"),
    ],
)
def test_not_such_a_workbook(office, year, upload, fragment):
    messages = refused(year, office, upload)
    assert any(fragment in m for m in messages), messages


def test_header_notes_and_extra_columns_are_tolerated(office, year):
    header = [*CAT_HEADER[:3], "满分（分）", "备注"]
    cats = [[*row, "随便写"] for row in CATS]
    upload = sheet_file({"类别": [header, *cats], "指标": [IND_HEADER, *INDS, [], [None] * 8]})
    assert catalogue.import_catalogue(year, upload, office) == {"categories": 4, "indicators": 5}


def test_huge_files_are_refused(office, year, monkeypatch):
    monkeypatch.setattr(catalogue, "MAX_ROWS", 3)
    messages = refused(year, office, catalogue_file())
    assert "Sheet 指标 has more than 3 rows." in messages
    monkeypatch.setattr(catalogue, "MAX_FILE_BYTES", 100)
    (message,) = refused(year, office, catalogue_file())
    assert "larger than" in message


def test_too_many_messages_are_cut_short(office, year, monkeypatch):
    monkeypatch.setattr(catalogue, "MAX_MESSAGES", 2)
    inds = [[f"X-{n}", "??", "x", None, "abc", "否", "无", None] for n in range(3)]
    messages = refused(year, office, catalogue_file(inds=inds))
    assert len(messages) == 3 and messages[-1].startswith("… and ")


@pytest.mark.parametrize(
    "role", [Role.DEPT_ASSESSOR, Role.LEADER, Role.AUDITOR, Role.ADMIN, Role.COMMUNITY_STAFF]
)
def test_only_the_office_imports(org, year, role):
    before = snapshot(year)
    with pytest.raises(PermissionDenied):
        catalogue.import_catalogue(year, catalogue_file(), org.user(role))
    with pytest.raises(PermissionDenied):
        inputs.import_comprehensive(year, BytesIO(b""), org.user(role))
    assert snapshot(year) == before


def test_another_sub_districts_office_does_not_see_the_year(other_org, year):
    with pytest.raises(Http404):
        catalogue.import_catalogue(year, catalogue_file(), other_org.user(Role.OFFICE_STAFF))


def test_a_started_year_keeps_its_catalogue(office, started):
    assert started.status == YearStatus.IN_PROGRESS
    before = snapshot(started)
    with translation.override("en"), pytest.raises(Conflict) as caught:
        catalogue.import_catalogue(started, catalogue_file(), office)
    assert caught.value.message == "The catalogue is fixed once the year has started."
    assert snapshot(started) == before


def test_a_published_year_is_frozen(office, year):
    AssessmentYear.objects.filter(pk=year.pk).update(status=YearStatus.PUBLISHED)
    year.refresh_from_db()
    with pytest.raises(Conflict):
        catalogue.import_catalogue(year, catalogue_file(), office)


# ---------------------------------------------------------------- comprehensive evaluation

COMP_HEADER = ["单位代码", "单位名称", "综合考评得分", "先进"]


def comp_file(rows) -> BytesIO:
    return sheet_file({"综合考评": [COMP_HEADER, *rows]}, name="综合考评.xlsx")


def comp_state(year) -> dict:
    return {
        c.unit.code: (c.score, c.advanced)
        for c in Comprehensive.objects.filter(year=year).select_related("unit")
    }


def test_comprehensive_template_lists_the_assessed_communities(started):
    book = load_workbook(BytesIO(inputs.comprehensive_workbook(started)))
    assert book.sheetnames == ["综合考评", "说明"]
    assert [list(r) for r in book["综合考评"].iter_rows(values_only=True)] == [
        COMP_HEADER,
        ["A-c01", "A-c01", None, "否"],
        ["A-c02", "A-c02", None, "否"],
    ]


def test_comprehensive_round_trip(org, office, started):
    # when the Office fills in the template and imports it
    result = inputs.import_comprehensive(
        started, comp_file([["A-c01", "A-c01", 92.5, "是"], ["a-C02", None, "71", None]]), office
    )
    # then the service saved both rows
    assert result == {"rows": 2, "changed": 2}
    assert comp_state(started) == {
        "A-c01": (Decimal("92.50"), True),
        "A-c02": (Decimal("71.00"), False),
    }
    assert AuditEvent.objects.filter(event_type="appraisal.comprehensive_saved").count() == 1
    # and the export gives the same values back; importing it again changes nothing
    data = inputs.comprehensive_workbook(started)
    rows = list(load_workbook(BytesIO(data))["综合考评"].iter_rows(values_only=True))
    assert rows[1:] == [("A-c01", "A-c01", 92.5, "是"), ("A-c02", "A-c02", 71, "否")]
    assert inputs.import_comprehensive(started, BytesIO(data), office) == {"rows": 2, "changed": 0}
    # a blank score removes the community's score; a community left out keeps its own
    inputs.import_comprehensive(started, comp_file([["A-c02", None, None, "否"]]), office)
    assert comp_state(started) == {"A-c01": (Decimal("92.50"), True)}


@pytest.mark.parametrize(
    "rows, expected",
    [
        (
            [["A-c01", None, 90, "否"], ["c99", None, 80, "否"]],
            "综合考评 row 3 “单位代码”: no community with the code “c99” is assessed in 2026.",
        ),
        ([["A-c01", None, "abc", "否"]], "综合考评 row 2 “综合考评得分”: “abc” is not a number."),
        ([["A-c01", None, 100.5, "否"]], "综合考评 row 2 “综合考评得分”: 100.5 is more than 100."),
        ([["A-c01", None, -1, "否"]], "综合考评 row 2 “综合考评得分”: -1 is less than 0."),
        ([["A-c01", None, "=B2", "否"]], "综合考评 row 2 “综合考评得分”: the cell holds a formula"),
        ([["A-c01", None, 90, "先进"]], "综合考评 row 2 “先进”: “先进”: write 是 or 否."),
        ([["A-c01", None, None, "是"]], "综合考评 row 2 “综合考评得分”: a community marked 先进"),
        ([[None, None, 90, "否"]], "综合考评 row 2 “单位代码”: this cell is required."),
        (
            [["A-c01", None, 90, "否"], ["A-c01", None, 91, "否"]],
            "综合考评 row 3 “单位代码”: the code “A-c01” appears twice (first in row 2).",
        ),
        (
            [["A-c01", "A-c02", 90, "否"]],
            "综合考评 row 2 “单位名称”: “A-c02” is not the community of code A-c01 (A-c01).",
        ),
        ([], "Sheet 综合考评 has no rows to import."),
    ],
)
def test_comprehensive_refusals_name_the_row_and_save_nothing(office, started, rows, expected):
    inputs.import_comprehensive(started, comp_file([["A-c02", None, 60, "否"]]), office)
    before = comp_state(started)
    with translation.override("en"), pytest.raises(inputs.ComprehensiveErrors) as caught:
        inputs.import_comprehensive(
            started, comp_file([*rows, ["A-c02", None, 75, "否"]] if rows else []), office
        )
    assert any(m.startswith(expected) for m in caught.value.messages), caught.value.messages
    assert comp_state(started) == before


def test_comprehensive_needs_the_year_started_and_a_workbook(office, year, started):
    with pytest.raises(inputs.ComprehensiveErrors):
        inputs.import_comprehensive(started, BytesIO(b"not a workbook"), office)
    other = services.year_create(acting_user=office, number=2027)
    with pytest.raises(Conflict):
        inputs.import_comprehensive(other, comp_file([["A-c01", None, 90, "否"]]), office)
    # a year being planned has no communities yet: the template is headers only
    book = load_workbook(BytesIO(inputs.comprehensive_workbook(other)))
    assert [list(r) for r in book["综合考评"].iter_rows(values_only=True)] == [COMP_HEADER]
