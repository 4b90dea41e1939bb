"""One 整改联系单 from 签发 to 验收销号, clicked through in headless Chromium (issue 3, item 13).

office issues it to 和平里社区 → c01 sees it in 待办 with the right light, replies with a PDF and
submits measures → office returns the measures → c01 resubmits → office verifies → auditor reads
every step, its actor, the return reason and the PDF's SHA-256 on the case page.

Fields and buttons are found by their Chinese labels, as users see them. Screenshots land in
var/screenshots/notice-*.png.
"""

import hashlib
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.utils import timezone, translation
from django.utils.translation import gettext, override
from playwright.sync_api import Locator, Page, expect

from core import workdays, workitems
from core.models import CalendarYear
from rectification.models import Notice
from tests.browser.test_roles import PageProblems, log_in, log_out

pytestmark = pytest.mark.browser

REPLY_WORKDAYS = 5
MEASURES_WORKDAYS = 10
SUBJECT = "三会一课记录不全"
PROBLEM = "2026年第三季度支部委员会会议记录缺失两次。"
REPLY_TEXT = "已查明原因：记录人调岗，记录本未交接。现已补齐第三季度会议记录。"
RETURN_REASON = "第二项整改举措的完成日期过晚，请提前并细化责任分工。"
PDF_NAME = "整改答复说明.pdf"
OFFICE_NAME = "办公室 陈敏"  # seed_demo display names
C01_NAME = "和平里社区 王经办"
LIGHT_LABELS = {"green": "正常", "yellow": "临期", "red": "逾期"}
EXPECTED_EVENTS = [
    "notice.create",
    "notice.issue",
    "notice.reply",
    "notice.measures",
    "notice.return_measures",
    "notice.measures",
    "notice.verify",
]


def actor(person: str, unit: str) -> str:
    """A timeline step's actor as the page names it: the person and their unit (Art. 11)."""
    with translation.override("zh-hans"):
        return gettext("%(person)s (%(unit)s)") % {"person": person, "unit": unit}


# The Office's full name has its own brackets: inside the actor's it is named by its short name.
BY_OFFICE = actor(OFFICE_NAME, "领导小组办公室")
BY_C01 = actor(C01_NAME, "和平里社区党委")
EXPECTED_ACTORS = [BY_OFFICE, BY_OFFICE, BY_C01, BY_C01, BY_OFFICE, BY_C01, BY_OFFICE]


def small_pdf() -> bytes:
    """A valid one-page PDF (correct xref offsets), a few hundred bytes."""
    stream = b"BT /F1 12 Tf 72 720 Td (Rectification reply) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def ensure_calendar_covers(days: int) -> None:
    """Near the year's end the deadlines may fall into a year the holiday package lacks; then an
    installation administrator would have entered it on the calendar page. Do the same, so the
    test runs any day."""
    today = workdays.local_date(timezone.now())
    for year in {today.year, (today + timedelta(days=days)).year}:
        if not workdays.coverage([year])[0].known:
            CalendarYear.objects.update_or_create(
                year=year, defaults={"complete": True, "source": "browser test"}
            )


def nav(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name=label, exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(label)


def expect_state(page: Page, label: str, problems: PageProblems) -> None:
    """The case page shows the state; on failure, say which request failed (e.g. an HTTP 500)."""
    try:
        expect(page.get_by_test_id("state")).to_have_text(label)
    except AssertionError as exc:
        raise AssertionError(
            f"{page.url}: state {label!r} not shown; page problems: {problems.errors}"
        ) from exc


def inbox_item(page: Page, number: str) -> Locator:
    nav(page, "待办")
    item = page.get_by_test_id("inbox-item").filter(has_text=number)
    expect(item).to_have_count(1)
    return item


def open_from_ledger(page: Page, number: str) -> None:
    nav(page, "台账")
    page.get_by_role("link", name=number, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(number)


def confirm_act(page: Page, msgid: str, problems: PageProblems) -> None:
    """Official acts ask first (Art. 11): the confirmation page, headed and buttoned with the
    act's confirmation label (asserted through gettext until its Chinese is merged)."""
    with override("zh-hans"):
        label = gettext(msgid)
    try:
        expect(page.get_by_role("heading", level=1)).to_have_text(label)
    except AssertionError as exc:
        raise AssertionError(f"{page.url}: no confirmation page; {problems.errors}") from exc
    page.get_by_role("button", name=label, exact=True).click()


def fill_measures(page: Page, rows: list[tuple[str, str, date]]) -> None:
    for index, (description, person, planned) in enumerate(rows, start=1):
        group = page.get_by_role("group", name=f"整改举措 {index}", exact=True)
        group.get_by_label("整改举措", exact=True).fill(description)
        group.get_by_label("责任人", exact=True).fill(person)
        group.get_by_label("计划完成日期", exact=True).fill(planned.isoformat())
    page.get_by_role("button", name="提交整改措施", exact=True).click()


def test_notice_from_issue_to_verification(
    page: Page, demo: str, screenshot_dir: Path, tmp_path: Path, settings
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"  # uploaded evidence stays out of var/
    ensure_calendar_covers(MEASURES_WORKDAYS * 2 + 30)
    pdf = tmp_path / PDF_NAME
    pdf.write_bytes(small_pdf())
    pdf_sha256 = hashlib.sha256(pdf.read_bytes()).hexdigest()
    year = workdays.local_date(timezone.now()).year
    problems = PageProblems(page)

    def shot(name: str) -> None:
        page.screenshot(path=str(screenshot_dir / f"notice-{name}.png"), full_page=True)

    # --- office: 台账 → 新建通知 → 签发
    log_in(page, demo, "office")
    nav(page, "台账")
    page.get_by_role("link", name="新建通知", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("新建通知")
    expect(page.get_by_label("类型")).to_have_value("contact")
    expect(page.get_by_label("类型").locator("option:checked")).to_have_text("整改联系单")
    page.get_by_label("签发单位").select_option(label="领导小组办公室（党建办公室）")
    page.get_by_role("group", name="社区党委").get_by_label("和平里社区", exact=True).check()
    page.get_by_label("事由").fill(SUBJECT)
    page.get_by_label("发现的问题").fill(PROBLEM)
    page.get_by_label("答复期限（工作日）").fill(str(REPLY_WORKDAYS))
    page.get_by_label("整改措施期限（工作日）").fill(str(MEASURES_WORKDAYS))
    shot("1-new")
    page.get_by_role("button", name="签发", exact=True).click()
    expect(page.get_by_test_id("confirm-row")).to_contain_text("和平里社区")
    confirm_act(page, "Confirm issue", problems)

    expect(page).to_have_url(re.compile(re.escape(f"{demo}/notices/") + r"\d+/$"))
    expect_state(page, "已签发", problems)
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("整改联系单")
    expect(heading).to_contain_text(SUBJECT)
    number = re.search(rf"{year}-联-\d{{3}}", heading.inner_text()).group(0)
    notice = Notice.objects.get(number=number)
    assert notice.state == "issued"
    assert notice.target.code == "c01"
    case_url = page.url
    shot("2-issued")
    log_out(page, demo)

    # --- c01: 待办 shows the light; 提交答复 with a PDF; 提交整改措施
    expected_light = workitems.light_of(notice.reply_due_at, workitems.light_thresholds())
    assert workdays.local_date(notice.reply_due_at) == workdays.add_workdays(
        workdays.local_date(notice.issued_at), REPLY_WORKDAYS
    )
    log_in(page, demo, "c01")
    item = inbox_item(page, number)
    expect(item).to_contain_text(SUBJECT)
    expect(item).to_contain_text("书面答复")
    light = item.locator("[data-light]")
    expect(light).to_have_attribute("data-light", expected_light)
    expect(light).to_have_text(LIGHT_LABELS[expected_light])
    shot("3-inbox")
    item.click()
    # the case page, its breadcrumb leading back to 待办 (?back=/inbox/)
    expect(page).to_have_url(re.compile(re.escape(case_url) + r"\?back=%2Finbox%2F$"))
    expect_state(page, "已签发", problems)

    page.get_by_label("书面答复或说明").fill(REPLY_TEXT)
    page.get_by_label("附件").set_input_files(pdf)
    page.get_by_role("button", name="提交答复", exact=True).click()
    expect_state(page, "已答复", problems)
    expect(page.get_by_role("link", name=PDF_NAME).first).to_be_visible()

    planned = workdays.local_date(notice.measures_due_at)
    first_measures = [
        ("补齐第三季度支委会会议记录，并由书记审核签字。", "李明", planned),
        ("建立会议记录交接制度，记录本随岗位交接。", "张华", planned + timedelta(days=30)),
    ]
    fill_measures(page, first_measures)
    expect_state(page, "已提交措施", problems)
    shot("4-measures")
    log_out(page, demo)

    # --- office: 退回 with a reason
    log_in(page, demo, "office")
    open_from_ledger(page, number)
    expect_state(page, "已提交措施", problems)
    return_form = page.locator("form").filter(
        has=page.get_by_role("button", name="退回", exact=True)
    )
    return_form.get_by_label("理由").fill(RETURN_REASON)
    return_form.get_by_role("button", name="退回", exact=True).click()
    expect(page.get_by_text(RETURN_REASON).first).to_be_visible()
    confirm_act(page, "Confirm return", problems)
    expect_state(page, "已答复", problems)
    expect(page.get_by_text(RETURN_REASON).first).to_be_visible()
    log_out(page, demo)

    # --- c01: the returned item is back in 待办; resubmit
    log_in(page, demo, "c01")
    item = inbox_item(page, number)
    expect(item).to_contain_text("已退回")
    item.click()
    expect_state(page, "已答复", problems)
    fill_measures(
        page,
        [
            first_measures[0],
            ("建立会议记录交接制度，记录本随岗位交接；组织委员负责。", "张华", planned),
        ],
    )
    expect_state(page, "已提交措施", problems)
    log_out(page, demo)

    # --- office: 验收销号
    log_in(page, demo, "office")
    open_from_ledger(page, number)
    page.get_by_label("验收意见").fill("措施具体可行，同意销号。")
    page.get_by_role("button", name="验收销号", exact=True).click()
    confirm_act(page, "Confirm verification", problems)
    expect_state(page, "已销号", problems)
    shot("5-verified")
    log_out(page, demo)

    # --- auditor: every step, in order, with actors, the reason and the SHA-256
    log_in(page, demo, "auditor")
    open_from_ledger(page, number)
    expect_state(page, "已销号", problems)
    # A read-only role sees no action buttons.
    for label in ("签发", "提交答复", "提交整改措施", "退回", "验收销号", "撤回", "升级"):
        expect(page.get_by_role("button", name=label, exact=True)).to_have_count(0)
    steps = page.get_by_test_id("timeline").get_by_test_id("timeline-step")
    expect(steps).to_have_count(len(EXPECTED_EVENTS))
    assert [
        steps.nth(i).get_attribute("data-event") for i in range(len(EXPECTED_EVENTS))
    ] == EXPECTED_EVENTS
    for i, actor in enumerate(EXPECTED_ACTORS):
        expect(steps.nth(i).get_by_test_id("actor")).to_have_text(actor)
    expect(steps.nth(1)).to_contain_text(number)
    reply_step = steps.nth(2)
    expect(reply_step).to_contain_text(REPLY_TEXT)
    expect(reply_step.get_by_role("link", name=PDF_NAME)).to_be_visible()
    expect(reply_step.get_by_test_id("sha256")).to_have_text(pdf_sha256)
    expect(steps.nth(4)).to_contain_text(RETURN_REASON)
    page.get_by_test_id("timeline").scroll_into_view_if_needed()
    shot("6-auditor-timeline")
    log_out(page, demo)

    assert problems.errors == []
