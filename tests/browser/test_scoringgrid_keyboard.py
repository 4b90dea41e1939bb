"""The scoring grid by keyboard, on the demo data, as the lead department (dept-lz) uses it: one
Tab per cell, the arrow keys do not change a score, Shift+F2 opens the cell's comment, and a
refused value keeps every other typed score and names the community."""

from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from appraisal.models import AssessmentYear
from tests.browser.test_roles import PageProblems, log_in

pytestmark = pytest.mark.browser


def _names(page) -> list[str]:
    return page.eval_on_selector_all("input[name^=s-]", "els => els.map(e => e.name)")


def test_grid_by_keyboard_and_refusal_keeps_typed(new_context, demo: str, screenshot_dir: Path):
    year = AssessmentYear.objects.get(year=timezone.localdate().year)
    page = new_context().new_page()
    problems = PageProblems(page)
    log_in(page, demo, "dept-lz")
    page.goto(f"{demo}/appraisal/{year.year}/scoring/LZ/")
    expect(page.get_by_test_id("grid-help")).to_contain_text("Tab")
    expect(page.get_by_test_id("legend")).to_be_visible()
    names = _names(page)
    assert len(names) > 3

    # one Tab per cell: score → next score
    first = page.locator(f"input[name='{names[0]}']")
    first.fill("3.50")
    for name in names[1:4]:
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.name")
        assert focused == name

    # the arrow keys do not step the value
    first.focus()
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(first).to_have_value("3.50")

    # Shift+F2 opens the cell's comment, Esc returns to its score
    page.keyboard.press("Shift+F2")
    assert page.evaluate("document.activeElement.name") == "c-" + names[0][2:]
    page.keyboard.type("台账齐全")
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.name") == names[0]

    # a refused value: the others stay as typed, the message names the community
    second = page.locator(f"input[name='{names[1]}']")
    second.fill("99")
    page.locator(f"input[name='{names[2]}']").fill("1.25")
    bad_cell = page.get_by_test_id("cell").nth(1)
    page.locator("form:has(input[name^=s-]) button[type=submit]").click()
    expect(page.get_by_test_id("grid-refused")).to_be_visible()
    row = page.locator("tbody tr").first
    community = row.locator("th").inner_text().strip()
    expect(page.locator(".alert-danger").first).to_contain_text(community)
    expect(page.locator(f"input[name='{names[0]}']")).to_have_value("3.50")
    expect(page.locator(f"input[name='{names[1]}']")).to_have_value("99")
    expect(page.locator(f"input[name='{names[2]}']")).to_have_value("1.25")
    expect(page.locator(f"textarea[name='c-{names[0][2:]}']")).to_have_value("台账齐全")
    expect(bad_cell.locator("input.is-invalid")).to_have_count(1)
    page.screenshot(path=str(screenshot_dir / "scoringgrid-refused.png"), full_page=True)

    # corrected, it saves
    page.locator(f"input[name='{names[1]}']").fill("2.00")
    page.locator("form:has(input[name^=s-]) button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"input[name='{names[0]}']")).to_have_value("3.50")
    page.screenshot(path=str(screenshot_dir / "scoringgrid-saved.png"), full_page=True)
    # the refused grid is answered 400 (Chromium also logs that on the console): nothing else
    assert [e for e in problems.errors if "400" not in e] == []
    assert any(e.startswith("HTTP 400") for e in problems.errors)
