"""The results in a browser, on the demo data (scoring.md §7, R17.1): the auditor downloads the
workbook through the results page and every unit's figures recomputed from it alone equal the
page's; the page states the tie rule and lists the categories in the regulation's order; the
drill-down labels each term of the category sum and shows the departments' opinions."""

import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from appraisal.models import AssessmentYear, Score
from appraisal.results.rows import tie_rule
from tests.appraisal.test_results_export_recompute import recompute
from tests.browser.test_roles import PageProblems, log_in, log_out

pytestmark = pytest.mark.browser

ORDER = ["党风廉政建设", "组织建设", "宣传意识形态", "其他任务"]


def _page_figures(page) -> dict[str, dict]:
    figures = {}
    for row in page.locator("[data-testid=ranking] tbody tr[data-unit]").all():
        cells = {
            col: row.locator(f"[data-col={col}]").inner_text().split()[0]
            for col in ("rank", "bottom", "bonus", "performance", "satisfaction", "total")
        }
        figures[row.get_attribute("data-unit")] = cells
    return figures


def test_export_downloaded_from_the_page_recomputes_the_ranking(
    new_context, demo: str, screenshot_dir: Path, tmp_path: Path
):
    year = AssessmentYear.objects.get(year=timezone.localdate().year)
    with translation.override("zh-hans"):
        tie_rule_text = tie_rule()
    page = new_context(accept_downloads=True).new_page()
    problems = PageProblems(page)
    for user in ("auditor", "office"):
        log_in(page, demo, user)
        page.goto(f"{demo}/appraisal/{year.year}/results/")
        expect(page.get_by_test_id("ranking")).to_be_visible()
        # R17.1: the tie rule is stated; Art. 3: the categories in the regulation's order
        expect(page.get_by_test_id("settings")).to_contain_text(tie_rule_text)
        headers = page.locator("[data-testid=ranking] thead th").all_inner_texts()
        names = [h.split("\n")[0].strip() for h in headers if h.split("\n")[0].strip() in ORDER]
        assert names == ORDER
        page.screenshot(path=str(screenshot_dir / f"{user}-results.png"), full_page=True)
        shown = _page_figures(page)
        with page.expect_download() as info:
            page.get_by_test_id("export").click()
        path = tmp_path / f"{user}.xlsx"
        info.value.save_as(path)
        mine = recompute(path.read_bytes())
        assert set(mine) == set(shown)
        for code, cells in shown.items():
            got = mine[code]
            assert (str(got["rank"]), str(got["bottom_position"])) == (
                cells["rank"],
                cells["bottom"],
            ), code
            for key in ("bonus", "performance", "satisfaction", "total"):
                assert got[key] == Decimal(cells[key]), (code, key)
        # the drill-down: labelled category sum and the departments' opinions
        opinion = Score.objects.filter(year=year).exclude(comment="").select_related("unit").first()
        code = opinion.unit.code if opinion else next(iter(shown))
        page.goto(f"{demo}/appraisal/{year.year}/results/{code}/")
        expect(page.get_by_test_id("category-sum")).to_contain_text(
            re.compile(r"党风廉政建设 \d+\.\d\d \+ 组织建设 \d+\.\d\d \+ 宣传意识形态")
        )
        if opinion is not None:
            expect(page.get_by_test_id("opinion").first).to_contain_text(opinion.comment)
        page.screenshot(path=str(screenshot_dir / f"{user}-results-{code}.png"), full_page=True)
        log_out(page, demo)
    assert problems.errors == []
