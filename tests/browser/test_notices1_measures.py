"""The measures form keeps the community's work (Art. 11), clicked through in headless Chromium.

c01's secretary fills two measures, leaves the second without its date and submits: the form
comes back with the message on that row and every typed value kept. She completes it and submits;
the Office returns the measures; she opens the case again and finds the form prefilled from the
returned version, its PDF offered with a checked box, and resubmits keeping the file.

Screenshots at 375 px (a phone) of the form after the refusal and after the return land in
/work/shots/notices1/ (SHOTS_DIR overrides) and in var/screenshots/.
"""

import hashlib
import os
import re
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from core import workdays
from core.models import Evidence, Unit
from rectification import services
from rectification.models import Measure, Notice, NoticeKind
from tests.browser.test_notice_journey import (
    confirm_act,
    ensure_calendar_covers,
    expect_state,
    inbox_item,
    open_from_ledger,
    small_pdf,
)
from tests.browser.test_roles import PageProblems, log_in, log_out

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SHOTS_DIR", "/work/shots/notices1"))
PDF_NAME = "会议记录补正.pdf"
RETURN_REASON = "第二项措施不够具体，请写明交接时点。"
FIRST = ("补齐第三季度支委会会议记录，并由书记审核签字。", "李明")
SECOND = ("建立会议记录交接制度。", "张华")


def zh(msgid: str) -> str:
    """A new string as the page shows it: its Chinese once the po is merged, else the msgid."""
    with translation.override("zh-hans"):
        return gettext(msgid)


def issued_and_replied() -> Notice:
    """A 联系单 from the Office to 和平里社区, already answered in writing (the reply is not what
    this test is about)."""
    User = get_user_model()
    office = User.objects.get(username="office")
    draft = services.notice_create(
        acting_user=office,
        data=services.NoticeInput(
            kind=NoticeKind.CONTACT,
            issuing_unit_id=Unit.objects.get(code="office").pk,
            subject="三会一课记录不全",
            problem="第三季度支部委员会会议记录缺失两次。",
            basis="细则第十一条",
            reply_due=services.Deadline(workdays=5),
            measures_due=services.Deadline(workdays=10),
        ),
        target_id=Unit.objects.get(code="c01").pk,
    )
    services.notice_issue(notice_id=draft.pk, acting_user=office)
    services.notice_reply(
        notice_id=draft.pk,
        acting_user=User.objects.get(username="c01-sec"),
        text="已查明原因，正在整改。",
    )
    return Notice.objects.get(pk=draft.pk)


def row(page: Page, n: int):
    return page.get_by_role("group", name=f"整改举措 {n}", exact=True)


def test_measures_form_keeps_rows_and_prefills_after_a_return(
    page: Page, demo: str, screenshot_dir: Path, tmp_path: Path, settings
):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    ensure_calendar_covers(60)
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = tmp_path / PDF_NAME
    pdf.write_bytes(small_pdf())
    pdf_sha256 = hashlib.sha256(pdf.read_bytes()).hexdigest()
    notice = issued_and_replied()
    planned = workdays.local_date(notice.measures_due_at)
    problems = PageProblems(page)

    def shot(name: str) -> None:
        """The form as a phone shows it (375 px), then back to the desktop width."""
        page.set_viewport_size({"width": 375, "height": 800})
        page.locator("#measures-form").scroll_into_view_if_needed()
        for target in (SHOTS / f"{name}.png", screenshot_dir / f"notices1-{name}.png"):
            page.screenshot(path=str(target), full_page=True)
        page.locator("#measures-form").screenshot(path=str(SHOTS / f"{name}-form.png"))
        page.set_viewport_size({"width": 1280, "height": 800})

    # --- c01's secretary: two measures, the second without its date
    log_in(page, demo, "c01-sec")
    inbox_item(page, notice.number).click()
    expect_state(page, "已答复", problems)
    # the breadcrumb leads back to 待办
    expect(page.get_by_test_id("back")).to_have_text(zh("Task inbox"))
    row(page, 1).get_by_label("整改举措", exact=True).fill(FIRST[0])
    row(page, 1).get_by_label("责任人", exact=True).fill(FIRST[1])
    row(page, 1).get_by_label("计划完成日期", exact=True).fill(planned.isoformat())
    row(page, 1).get_by_label("附件", exact=True).set_input_files(pdf)
    row(page, 2).get_by_label("整改举措", exact=True).fill(SECOND[0])
    row(page, 2).get_by_label("责任人", exact=True).fill(SECOND[1])
    page.get_by_role("button", name="提交整改措施", exact=True).click()

    # then the form is back with the message on row 2 and everything typed still there
    alert = page.get_by_test_id("form-errors")
    expect(alert).to_contain_text(
        zh("The measures were not submitted: correct what is marked below.")
    )
    expect(alert).to_contain_text("整改举措 2")
    expect(alert).to_contain_text(zh("Files chosen before must be chosen again."))
    expect(row(page, 2).locator(".invalid-feedback")).to_have_text(
        [zh("Required for this measure.")]
    )
    expect(row(page, 2).get_by_label("计划完成日期", exact=True)).to_have_attribute(
        "aria-invalid", "true"
    )
    expect(row(page, 1).locator(".invalid-feedback")).to_have_count(0)
    expect(row(page, 1).get_by_label("整改举措", exact=True)).to_have_value(FIRST[0])
    expect(row(page, 1).get_by_label("责任人", exact=True)).to_have_value(FIRST[1])
    expect(row(page, 1).get_by_label("计划完成日期", exact=True)).to_have_value(planned.isoformat())
    expect(row(page, 2).get_by_label("整改举措", exact=True)).to_have_value(SECOND[0])
    expect(row(page, 2).get_by_label("责任人", exact=True)).to_have_value(SECOND[1])
    # each file field says what it accepts
    expect(row(page, 1).get_by_test_id("upload-hint")).to_contain_text("PDF")
    assert Measure.objects.filter(measure_set__notice=notice).count() == 0
    shot("1-refused")

    # --- she adds the date, chooses the file again and submits
    row(page, 2).get_by_label("计划完成日期", exact=True).fill(planned.isoformat())
    row(page, 1).get_by_label("附件", exact=True).set_input_files(pdf)
    page.get_by_role("button", name="提交整改措施", exact=True).click()
    expect_state(page, "已提交措施", problems)
    log_out(page, demo)

    # --- the Office returns the measures
    log_in(page, demo, "office")
    open_from_ledger(page, notice.number)
    return_form = page.locator("form").filter(
        has=page.get_by_role("button", name="退回", exact=True)
    )
    return_form.get_by_label("理由").fill(RETURN_REASON)
    return_form.get_by_role("button", name="退回", exact=True).click()
    confirm_act(page, "Confirm return", problems)  # an official act asks first (Art. 11)
    expect_state(page, "已答复", problems)
    log_out(page, demo)

    # --- the secretary finds the form prefilled, the PDF offered with a checked box
    log_in(page, demo, "c01-sec")
    inbox_item(page, notice.number).click()
    expect_state(page, "已答复", problems)
    expect(row(page, 1).get_by_label("整改举措", exact=True)).to_have_value(FIRST[0])
    expect(row(page, 1).get_by_label("责任人", exact=True)).to_have_value(FIRST[1])
    expect(row(page, 2).get_by_label("整改举措", exact=True)).to_have_value(SECOND[0])
    expect(row(page, 2).get_by_label("计划完成日期", exact=True)).to_have_value(planned.isoformat())
    keep = row(page, 1).get_by_role("checkbox", name=re.compile(re.escape(PDF_NAME)))
    expect(keep).to_be_checked()
    expect(row(page, 2).get_by_role("checkbox")).to_have_count(0)
    shot("2-after-return")

    # she details the second measure, keeps the file and submits
    row(page, 2).get_by_label("整改举措", exact=True).fill(
        "建立会议记录交接制度，岗位调整当日交接。"
    )
    page.get_by_role("button", name="提交整改措施", exact=True).click()
    expect_state(page, "已提交措施", problems)
    expect(page.get_by_role("link", name=PDF_NAME).first).to_be_visible()
    log_out(page, demo)

    # the new version carries its own copy of the file, byte for byte
    new_first = Measure.objects.get(measure_set__notice=notice, measure_set__version=2, position=1)
    (copy,) = Evidence.objects.filter(
        subject_type=ContentType.objects.get_for_model(Measure), subject_id=new_first.pk
    )
    assert copy.original_name == PDF_NAME and copy.sha256 == pdf_sha256
    # the refused submission is the only failed response (a 400, reported twice: the response
    # and the console); nothing else went wrong
    refused = [e for e in problems.errors if "400" in e and f"/notices/{notice.pk}/measures/" in e]
    assert len(refused) == 2 and len(problems.errors) == 2, problems.errors
