"""The written results (Art. 16–18): every figure in every feedback letter and in the bulletin
equals `appraisal_results --format json`, for random bundles imported with `import_year` and
taken through publication; drafts for unpublished years; the command line; the layout checks that
reach through the kernel; queries do not grow with the number of letters."""

from __future__ import annotations

import io
import json
import random
import re
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook
from pypdf import PdfReader

from appraisal.documents import build
from appraisal.documents import facts as facts_module
from appraisal.documents.bulletin import commended, interviewed
from appraisal.documents.letters import CARRIED_MARK, SUMMARY_KEYS
from appraisal.models import AssessedUnit, AssessmentYear, YearStatus
from appraisal.services.year import year_publish
from core.models import Role, UnitKind
from rectification.models import PlanItem, PlanItemSource, PlanItemState
from rectification.plans.creation import ProblemInput, plan_create
from tests.appraisal import bundlegen
from tests.appraisal.test_bundle_oracle import import_bundle, results_text
from tests.factories import UnitFactory, make_member

pytestmark = pytest.mark.django_db

SEEDS = range(4100, 4110)


def tables(content: bytes) -> list[list[list[str]]]:
    doc = Document(io.BytesIO(content))
    return [[[c.text for c in row.cells] for row in t.rows] for t in doc.tables]


def text_of(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for t in doc.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return "\n".join(parts)


def draft_marked(content: bytes) -> bool:
    """The 草稿 mark in the header of every page and in the title of the file."""
    doc = Document(io.BytesIO(content))
    header = "".join(p.text for p in doc.sections[0].header.paragraphs)
    return "草稿" in header and doc.core_properties.title.startswith("【草稿】")


def show(value) -> str:
    return "—" if value is None else value


def signed(value: str) -> str:
    return value if value.startswith("-") else f"+{value}"


def publish(year: AssessmentYear) -> AssessmentYear:
    """Publish an imported year as the process's publish step does (year_publish stores the
    published version). An imported bundle carries the Leading Group's decisions of its claims
    only as inputs, so the year is set to 已决定 directly; the decision itself is driven in
    tests/workflows."""
    office = make_member(
        UnitFactory(sub_district=year.sub_district, kind=UnitKind.OFFICE, code="docs-office"),
        Role.OFFICE_STAFF,
    )
    AssessmentYear.objects.filter(pk=year.pk).update(
        status=YearStatus.DECIDED, as_of=year.as_of or timezone.now()
    )
    return year_publish(year_id=year.pk, acting_user=office)


def previous_plan(year: AssessmentYear, unit_id: int, states: list[str]) -> list[PlanItem]:
    """The community's plan for the previous assessment year (year - 1), one item per state
    given, as the publication of that year made it and its work then moved each item on."""
    plan = plan_create(
        sub_district_id=year.sub_district_id,
        unit_id=unit_id,
        year=year.year - 1,
        source="appraisal.year:0",
        letter_url="",
        due_at=timezone.now(),
        problems=[
            ProblemInput(source_kind=PlanItemSource.OPINION, problem=f"上年度问题{n}：台账不全。")
            for n in range(1, len(states) + 1)
        ],
    )
    for position, state in enumerate(states, start=1):
        PlanItem.objects.filter(plan=plan, position=position).update(state=state)
    return list(plan.items.order_by("position"))


def assert_letter_matches(
    content: bytes, unit: dict, categories: dict[str, str], carried=()
) -> None:
    grid = tables(content)
    summary = {row[0]: row for row in grid[0][1:]}
    for code, name in categories.items():
        assert summary[name][2] == show(unit["categories"][code]), (unit["unit"], code)
    for label, key in SUMMARY_KEYS:
        assert summary[label][2] == show(unit[key]), (unit["unit"], key)
    # one table per category, its last row the category score
    for (code, name), table in zip(categories.items(), grid[1:], strict=True):
        assert table[-1][1] == "大项得分" and table[-1][6] == show(unit["categories"][code]), (
            unit["unit"],
            name,
        )
    text = text_of(content)
    assert f"排名第{unit['rank']}位" in text
    assert f"倒数第{unit['bottom_position']}位" in text
    assert f"综合考评调整{signed(unit['comprehensive_adjustment'])}分" in text
    if unit["adjusted_comprehensive"] is not None:
        assert f"调整后{unit['adjusted_comprehensive']}分，最终考评等次：{unit['grade']}" in text
    else:
        assert "调整后得分及等次待定" in text
    assert ("综合考评不得确定为优胜等次" in text) == unit["excellence_veto"]
    assert ("取消先进资格" in text) == bool(unit["advanced_withdrawn"])
    # every excluded report is a numbered problem with its due and submitted times (Art. 12)
    reports = [e for e in unit["exclusions"] if e["kind"] == "report"]
    assert text.count("不计分（第十二条）") == len(reports), unit["unit"]
    for ex in reports:
        if ex["due_at"]:
            due = ex["due_at"][:19].replace("T", " ")
            assert f"应于{due}前报送" in text, (unit["unit"], ex)
        if ex["submitted_at"]:
            assert ex["submitted_at"][:19].replace("T", " ") + "报送" in text
    # the previous plan's items not closed, each once, in the plan's order (Art. 20)
    assert text.count(CARRIED_MARK) == len(carried), unit["unit"]
    at = [
        text.index(f"整改方案第{item.position}项：{item.problem.rstrip('。')}") for item in carried
    ]
    assert at == sorted(at)
    assert ("项整改事项未销号" in text) == bool(carried)


def assert_bulletin_matches(content: bytes, results: dict, categories: dict[str, str]) -> None:
    grid = tables(content)
    performance, totals = grid[0], grid[1]
    assert len(performance) - 1 == len(results["units"])
    for unit, row in zip(results["units"], performance[1:], strict=True):
        assert row[0] == str(unit["rank"])
        cats = [show(unit["categories"][c]) for c in categories]
        assert row[2 : 2 + len(cats)] == cats
        assert row[2 + len(cats) :] == [unit["bonus"], unit["performance"]]
    for unit, row in zip(results["units"], totals[1:], strict=True):
        assert row[2:] == [
            unit["debriefing"],
            unit["democratic"],
            unit["satisfaction"],
            unit["total"],
            str(unit["bottom_position"]),
            signed(unit["comprehensive_adjustment"]),
        ]


@pytest.mark.parametrize("seed", SEEDS)
def test_every_figure_of_every_document_equals_appraisal_results(tmp_path, seed):
    bundle = bundlegen.random_bundle(random.Random(seed), n_units=random.Random(seed).randint(3, 9))
    import_bundle(tmp_path, bundle)
    year = AssessmentYear.objects.get(year=bundle["year"])
    expected = json.loads(results_text(year.year))
    # one community's previous plan has items in every state: the closed ones are not listed
    rng = random.Random(seed)
    first = AssessedUnit.objects.filter(year=year).order_by("code").first()
    states = [rng.choice(PlanItemState.values) for _ in range(rng.randint(0, 5))]
    carried = {
        first.code: [i for i in previous_plan(year, first.unit_id, states) if i.state != "closed"]
    }
    year = publish(year)
    assert json.loads(results_text(year.year)) == expected  # nothing moved by publishing
    categories = {c.code: c.name for c in year.categories.order_by("code")}

    files = dict(build.year_documents(year=year, formats=("docx",)))
    assert set(files) == {f"{u['unit']}.docx" for u in expected["units"]} | {
        "bulletin.docx",
        "bulletin.xlsx",
    }
    for unit in expected["units"]:
        assert_letter_matches(
            files[f"{unit['unit']}.docx"], unit, categories, carried.get(unit["unit"], ())
        )
    assert_bulletin_matches(files["bulletin.docx"], expected, categories)
    text = text_of(files["bulletin.docx"])
    facts = facts_module.year_facts(year)
    for u in commended(facts):
        assert u.name in text.split("二、通报表扬")[1].split("三、")[0]
    for u in interviewed(facts):
        assert u.name in text.split("四、约谈和整改")[1]
    assert "草稿" not in text
    assert not draft_marked(files["bulletin.docx"])
    assert not draft_marked(files[f"{expected['units'][0]['unit']}.docx"])
    # the workbook holds the same ranking
    sheet = load_workbook(io.BytesIO(files["bulletin.xlsx"]), read_only=True).worksheets[0]
    rows = list(sheet.values)[1:]
    assert [(r[0], r[2]) for r in rows] == [(u["rank"], u["unit"]) for u in expected["units"]]
    assert [Decimal(str(r[len(categories) + 10])) for r in rows] == [
        Decimal(u["total"]) for u in expected["units"]
    ]


def test_the_command_writes_drafts_for_an_unpublished_year_then_final_documents(tmp_path):
    bundle = bundlegen.random_bundle(random.Random(4200), n_units=4, settings_mode="default")
    import_bundle(tmp_path, bundle)
    year = AssessmentYear.objects.get(year=bundle["year"])
    expected = json.loads(results_text(year.year))
    out = tmp_path / "draft"
    call_command("year_documents", str(year.year), "-o", str(out), stdout=io.StringIO())
    names = sorted(p.name for p in out.iterdir())
    codes = sorted(u["unit"] for u in expected["units"])
    assert names == sorted(
        [f"{c}.{ext}" for c in codes for ext in ("docx", "pdf")]
        + ["bulletin.docx", "bulletin.pdf", "bulletin.xlsx"]
    )
    first = expected["units"][0]
    letter = (out / f"{first['unit']}.docx").read_bytes()
    assert draft_marked(letter)
    pdf = PdfReader(io.BytesIO((out / f"{first['unit']}.pdf").read_bytes()))
    pdf_text = "".join(page.extract_text() for page in pdf.pages)
    assert "草稿" in pdf_text
    assert re.sub(r"\s", "", first_name(year, first["unit"])) in re.sub(r"\s", "", pdf_text)
    assert first["total"] in pdf_text
    assert_letter_matches(letter, first, {c.code: c.name for c in year.categories.order_by("code")})

    only = tmp_path / "pdf"
    call_command(
        "year_documents", str(year.year), "-o", str(only), "--format", "pdf", stdout=io.StringIO()
    )
    assert sorted(p.suffix for p in only.iterdir()) == [".pdf"] * (len(codes) + 1) + [".xlsx"]


def first_name(year, code: str) -> str:
    return year.units.get(code=code).name


def test_the_command_refuses_clearly(tmp_path):
    with pytest.raises(CommandError, match="不是年份"):
        call_command("year_documents", "abc", "-o", str(tmp_path), stdout=io.StringIO())
    (tmp_path / "file").write_text("x")
    bundle = bundlegen.random_bundle(random.Random(4201), n_units=2)
    import_bundle(tmp_path, bundle)
    with pytest.raises(CommandError, match="不是目录"):
        call_command(
            "year_documents",
            str(bundle["year"]),
            "-o",
            str(tmp_path / "file"),
            stdout=io.StringIO(),
        )


def test_final_documents_need_published_figures(tmp_path):
    bundle = bundlegen.random_bundle(random.Random(4202), n_units=3)
    import_bundle(tmp_path, bundle)
    year = AssessmentYear.objects.get(year=bundle["year"])
    with pytest.raises(facts_module.NotPublished):
        list(build.year_documents(year=year, draft=False, formats=("docx",)))


# Reading the whole year for its documents: the year's figures (results.compute), the opinions,
# the joint team's comments, the units, the previous year's plan items not closed (Art. 20) and
# the organ. Rendering reads nothing, so the count is the same for 1 letter and for 20.
DOCUMENT_QUERIES = 19


@pytest.mark.parametrize("n_units", [1, 20])
def test_queries_do_not_grow_with_the_number_of_letters(tmp_path, n_units):
    bundle = bundlegen.random_bundle(random.Random(4300), n_units=n_units, settings_mode="default")
    import_bundle(tmp_path, bundle)
    year = AssessmentYear.objects.get(year=bundle["year"])
    with CaptureQueriesContext(connection) as queries:
        files = list(build.year_documents(year=year, formats=("docx",)))
    assert len(files) == n_units + 2
    assert len(queries) == DOCUMENT_QUERIES, "\n".join(q["sql"] for q in queries)
