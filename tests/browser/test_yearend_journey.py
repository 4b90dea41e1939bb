"""The year-end appraisal of the seeded demo year, clicked through as the people would (Art. 14–18):
the Office starts it with the joint team; two communities self-evaluate (one on a phone, sent
back once by its secretary); two team members verify their categories and the team leader signs
off; the members of one community vote on their phones; the Office runs the results; the Leading
Group returns one category's verification, then approves; the Office publishes; a community
downloads its letter; the bottom unit finds its 督办单 in its 待办.

The other communities' self-evaluations and the other categories' verification are finished in
code through the same services, to keep the test short. Screenshots land in var/screenshots/.
"""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from django.utils import timezone
from docx import Document
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from appraisal.models import (
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    Category,
    CategoryVerification,
    SelfEvaluation,
)
from appraisal.services import claims, team
from appraisal.services import selfeval as se
from core.models import Role, RoleAssignment, Unit, User
from tests.browser.test_roles import PageProblems, log_in, no_horizontal_scroll
from workflows import kinds

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 740}
DEMO_PASSWORD = "demo12345"


class Desk:
    """The people of the journey, each in a browser context of their own, logged in once."""

    def __init__(self, new_context, base: str, shots: Path):
        self.new_context = new_context
        self.base = base
        self.shots = shots
        self.pages: dict[str, Page] = {}
        self.problems: list[PageProblems] = []

    def of(self, username: str, *, phone: bool = False) -> Page:
        key = f"{username}{'@phone' if phone else ''}"
        if key not in self.pages:
            kwargs = {"viewport": PHONE, "is_mobile": True, "has_touch": True} if phone else {}
            page = self.new_context(**kwargs).new_page()
            self.problems.append(PageProblems(page))
            log_in(page, self.base, username)
            self.pages[key] = page
        return self.pages[key]

    def go(self, page: Page, path: str) -> Page:
        page.goto(f"{self.base}{path}")
        return page

    def shot(self, page: Page, name: str) -> None:
        page.screenshot(path=str(self.shots / f"yearend-{name}.png"), full_page=True)

    def errors(self) -> list[str]:
        return [e for p in self.problems for e in p.errors]


def _other_selfevals(year, skip: set[str]) -> None:
    """The communities not clicked through: staff drafts and hands over, secretary submits."""
    for au in AssessedUnit.objects.filter(year=year).exclude(code__in=skip).order_by("code"):
        staff = User.objects.get(username=au.code)
        secretary = User.objects.get(username=f"{au.code}-sec")
        row = SelfEvaluation.objects.get(year=year, unit=au.unit, round=1)
        se.selfeval_save(
            selfeval_id=row.pk,
            acting_user=staff,
            report="本年度党建工作专题报告。",
            scores={ind.pk: ("1.00", "自评说明") for ind in year.indicators.all()},
            expected_version=row.version,
        )
        se.selfeval_to_secretary(
            selfeval_id=row.pk, acting_user=staff, expected_version=row.version + 1
        )
        se.selfeval_submit(
            selfeval_id=row.pk, acting_user=secretary, expected_version=row.version + 2
        )


def _sign_off_in_code(year, codes: set[str], leader) -> None:
    """The categories not clicked through: the team leader signs off the department's scores."""
    for v in CategoryVerification.objects.filter(year=year, state="open", category__code__in=codes):
        team.verification_signoff(
            verification_id=v.pk, acting_user=leader, expected_version=v.version
        )


def test_the_year_end_journey_of_the_demo_year(new_context, demo: str, screenshot_dir: Path):
    year = AssessmentYear.objects.get(year=timezone.localdate().year)
    number = year.year
    cats = {c.code: c for c in Category.objects.filter(year=year).select_related("lead_unit")}
    # A second assessor of 纪检监察室, so that one category has two members (Art. 14).
    lz2 = User.objects.create_user(
        username="dept-lz2",
        password=DEMO_PASSWORD,
        sub_district=year.sub_district,
        display_name="纪检监察室 钱多",
    )
    RoleAssignment.objects.create(
        user=lz2,
        unit=Unit.objects.get(sub_district=year.sub_district, code="dept-lz"),
        role=Role.DEPT_ASSESSOR,
    )
    desk = Desk(new_context, demo, screenshot_dir)

    # 1. the Office starts the year-end appraisal from the year page
    office = desk.of("office")
    desk.go(office, f"/appraisal/{number}/")
    office.get_by_test_id("yearend-start").click()
    expect(office).to_have_url(f"{demo}/year-end/{number}/start/")
    expect(office.get_by_role("heading", level=1)).to_contain_text("年末考核")
    leader_box = office.locator("select[name=leader]")
    chen = leader_box.locator("option", has_text="陈敏").get_attribute("value")
    leader_box.select_option(chen)
    for code, category in cats.items():
        boxes = office.locator(f"input[name=members_{category.pk}]")
        assert boxes.count() >= (2 if code == "LZ" else 1), code
        for n in range(boxes.count()):
            boxes.nth(n).check()
    desk.shot(office, "start")
    office.get_by_test_id("start-yearend").click()
    expect(office).to_have_url(f"{demo}/year-end/{number}/")
    expect(office.get_by_test_id("status")).to_have_text("年末考核")
    expect(office.get_by_test_id("step-selfeval").get_by_test_id("task-row")).to_have_count(
        AssessedUnit.objects.filter(year=year).count()
    )
    assert desk.errors() == []

    # 2. self-evaluation (Art. 15): c01 at the desk, c02 on phones, sent back once
    path = f"/appraisal/{number}/self-evaluation/"
    c01 = desk.go(desk.of("c01"), "/inbox/")  # the task in its 待办
    c01.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_SELFEVAL}"]').click()
    expect(c01).to_have_url(f"{demo}{path}c01/")
    _fill_selfeval(c01, "和平里社区党委本年度落实党建工作责任情况专题报告。")
    c01.get_by_test_id("to-secretary").click()
    expect(c01.get_by_test_id("selfeval-state")).to_have_text("书记审核中")
    sec = desk.go(desk.of("c01-sec"), f"{path}c01/")
    sec.get_by_test_id("submit").click()
    expect(sec.get_by_test_id("selfeval-state")).to_have_text("已提交")
    expect(sec.get_by_test_id("submitted-at")).to_be_visible()

    phone = desk.go(desk.of("c02", phone=True), "/inbox/")
    no_horizontal_scroll(phone, PHONE["width"])
    phone.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_SELFEVAL}"]').click()
    expect(phone).to_have_url(f"{demo}{path}c02/")
    no_horizontal_scroll(phone, PHONE["width"])
    _fill_selfeval(phone, "安华里社区党委专题报告（初稿）。")
    phone.get_by_test_id("save-draft").click()
    expect(phone.get_by_test_id("selfeval-state")).to_have_text("起草中")
    desk.shot(phone, "selfeval-phone-staff")
    phone.get_by_test_id("to-secretary").click()
    expect(phone.get_by_test_id("selfeval-state")).to_have_text("书记审核中")
    sec2 = desk.go(desk.of("c02-sec", phone=True), f"{path}c02/")
    sec2.locator("#id_comment").fill("请补充党员发展工作的情况。")
    sec2.get_by_test_id("send-back").click()
    expect(sec2.get_by_test_id("selfeval-state")).to_have_text("起草中")
    desk.go(phone, f"{path}c02/")
    expect(phone.get_by_test_id("returned-comment")).to_contain_text("请补充党员发展工作的情况")
    phone.locator("#id_report").fill("安华里社区党委专题报告，含党员发展工作情况。")
    phone.get_by_test_id("to-secretary").click()
    expect(phone.get_by_test_id("selfeval-state")).to_have_text("书记审核中")
    desk.go(sec2, f"{path}c02/")
    no_horizontal_scroll(sec2, PHONE["width"])
    desk.shot(sec2, "selfeval-phone-secretary")
    sec2.get_by_test_id("submit").click()
    expect(sec2.get_by_test_id("selfeval-state")).to_have_text("已提交")
    no_horizontal_scroll(sec2, PHONE["width"])
    _other_selfevals(year, {"c01", "c02"})
    desk.go(office, path)
    total = AssessedUnit.objects.filter(year=year).count()
    expect(office.get_by_test_id("selfeval-counts")).to_contain_text(f"{total}")
    assert desk.errors() == []

    # 3. verification (Art. 14): 纪检监察室 claims, puts back; its second member claims and
    # verifies; 党建办 verifies its own; the team leader signs both off
    lz_ind = cats["LZ"].indicators.order_by("sort_order", "code").first()
    zz_ind = cats["ZZ"].indicators.order_by("sort_order", "code").first()
    c01_unit = AssessedUnit.objects.get(year=year, code="c01").unit_id
    lz_page = desk.go(desk.of("dept-lz"), "/inbox/")
    lz_page.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_VERIFY}"]').click()
    expect(lz_page).to_have_url(f"{demo}/appraisal/{number}/verification/LZ/")
    lz_page.get_by_test_id("claim").click()
    expect(lz_page.get_by_test_id("holder")).to_contain_text("孙立")
    lz_page.get_by_test_id("release").click()
    expect(lz_page.get_by_test_id("claim")).to_be_visible()
    lz2_page = desk.go(desk.of("dept-lz2"), f"/appraisal/{number}/verification/LZ/")
    lz2_page.get_by_test_id("claim").click()
    expect(lz2_page.get_by_test_id("holder")).to_contain_text("钱多")
    _verify_cell(lz2_page, c01_unit, lz_ind, "核实：廉政台账已补齐")
    # the grid shows each indicator's reports and cap beside the three scores
    expect(lz2_page.get_by_test_id("unit-c01")).to_contain_text("上限")
    desk.shot(lz2_page, "verification-grid")
    zz_page = desk.go(desk.of("dept-zz"), f"/appraisal/{number}/verification/ZZ/")
    zz_page.get_by_test_id("claim").click()
    _verify_cell(zz_page, c01_unit, zz_ind, "核实：组织生活会记录齐全")
    for code in ("LZ", "ZZ"):
        desk.go(office, f"/appraisal/{number}/verification/{code}/")
        office.get_by_test_id("signoff").click()
        expect(office).to_have_url(f"{demo}/year-end/{number}/")
    _sign_off_in_code(year, {"XC", "QT"}, User.objects.get(username="office"))
    desk.go(office, f"/appraisal/{number}/verification/LZ/")
    expect(office.get_by_test_id("verification-state")).to_contain_text("已签核")
    assert desk.errors() == []

    # 4. satisfaction (Art. 15): an online ballot for 兴华社区's members, cast on phones
    c07 = AssessedUnit.objects.get(year=year, code="c07")
    desk.go(office, f"/appraisal/{number}/votes/stage/")
    expect(office.get_by_test_id("tallies")).to_be_visible()
    office.get_by_test_id("new-meeting").click()
    office.locator("#unit").select_option(str(c07.unit_id))
    office.locator("#title").fill(f"{number}年度社区党员大会民主测评")
    office.locator("#held_on").fill(timezone.localdate().isoformat())
    office.locator("#count").fill("3")
    with office.expect_download() as sheet:
        office.get_by_role("button", name="生成并下载选票单（PDF）").click()
    codes = _ballot_codes(Path(sheet.value.path()).read_bytes())
    assert len(codes) == 3, codes
    choices = ("satisfied", "satisfied", "basically")
    for n, (code, choice) in enumerate(zip(codes, choices, strict=True)):
        voter = desk.new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
        desk.problems.append(PageProblems(voter))
        desk.go(voter, f"/ballot/{code}/")
        expect(voter.get_by_text(c07.name)).to_be_visible()
        no_horizontal_scroll(voter, PHONE["width"])
        if n == 0:
            desk.shot(voter, "ballot-phone")
        voter.locator(f'input[value="{choice}"]').check()
        voter.get_by_role("button", name="投票").click()
        expect(voter.get_by_test_id("ballot-message")).to_be_visible()
        no_horizontal_scroll(voter, PHONE["width"])
        if n == 0:
            desk.shot(voter, "ballot-phone-done")
    desk.go(office, f"/appraisal/{number}/votes/stage/")
    office.get_by_test_id("meetings").get_by_role("link").first.click()
    expect(office.locator('[data-tally="ballots"]')).to_have_text("3")
    office.once("dialog", lambda dialog: dialog.accept())
    office.get_by_test_id("close").click()
    expect(office.locator(".alert-success")).to_contain_text(c07.name)
    desk.go(office, f"/appraisal/{number}/votes/stage/")
    expect(office.get_by_test_id("empty-votes")).to_be_visible()  # the communities without votes
    office.get_by_test_id("confirm-form").get_by_role("button").click()
    expect(office.get_by_test_id("empty-votes")).to_be_visible()
    office.get_by_role("button", name="确认（以下评价无选票）").click()
    expect(office.get_by_test_id("round-state")).to_contain_text("确认")
    desk.shot(office, "votes-confirmed")
    assert desk.errors() == []

    # 5. the Office runs the results; the Leading Group returns 党风廉政's verification once
    desk.go(office, f"/year-end/{number}/results/")
    office.get_by_test_id("submit-results").click()
    expect(office).to_have_url(f"{demo}/year-end/{number}/")
    leader = desk.go(desk.of("leader"), "/inbox/")
    leader.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_DECISION}"]').click()
    expect(leader).to_have_url(f"{demo}/appraisal/{number}/decision/1/")
    expect(leader.get_by_test_id("ranking")).to_be_visible()
    desk.shot(leader, "decision")
    # the claims not yet decided are named on the page as blocking the decision (Art. 6, 16)
    expect(leader.get_by_test_id("check-claims")).to_contain_text("阻止决定")
    form = leader.get_by_test_id("return-form")
    form.locator('input[name=step][value="verify"]').check()
    form.locator("summary", has_text="核实").click()
    form.locator(f"#cat_{cats['LZ'].pk}").check()
    form.locator("#id_reason").fill("党风廉政建设核实依据不足，请重新核实。")
    form.get_by_test_id("return").click()
    expect(leader).to_have_url(f"{demo}/appraisal/{number}/")
    # round 2 of 党风廉政: the second member verifies it again, the leader signs off
    desk.go(lz2_page, "/inbox/")
    item = lz2_page.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_VERIFY}"]')
    expect(item).to_contain_text("退回")
    item.click()
    expect(lz2_page.get_by_test_id("verification-state")).to_contain_text("第 2 轮")
    lz2_page.get_by_test_id("claim").click()
    _verify_cell(lz2_page, c01_unit, lz_ind, "复核：廉政台账已补齐，依据已附")
    desk.go(office, f"/appraisal/{number}/verification/LZ/")
    office.get_by_test_id("signoff").click()
    _decide_claims(year)
    desk.go(office, f"/year-end/{number}/results/")
    office.get_by_test_id("submit-results").click()
    # then approves, with the reason for deciding before the last report periods are due
    desk.go(leader, f"/appraisal/{number}/decision/2/")
    expect(leader.get_by_test_id("earlier")).to_contain_text("党风廉政建设核实依据不足")
    expect(leader.get_by_test_id("check-claims")).not_to_contain_text("阻止决定")
    override = leader.locator("#id_override_reason")
    if override.count():
        override.fill("年末考核按期进行，12月报送期视为未报（第十二条）。")
    leader.get_by_test_id("approve").click()
    expect(leader.get_by_test_id("confirm-text")).to_be_visible()
    leader.get_by_test_id("confirm").click()
    expect(leader).to_have_url(f"{demo}/appraisal/{number}/")
    assert AssessmentYear.objects.get(pk=year.pk).status == "decided"
    assert desk.errors() == []

    # 6. the Office publishes; the written results are made (Q runs in the request in tests)
    desk.go(office, "/inbox/")
    office.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_PUBLISH}"]').click()
    expect(office).to_have_url(f"{demo}/year-end/{number}/publish/")
    started = time.monotonic()
    with office.expect_navigation(timeout=180_000):
        office.get_by_test_id("publish").click(no_wait_after=True)
    # the documents are made inside the request in tests (Q runs sync): about 25 s here
    assert time.monotonic() - started < 170
    expect(office).to_have_url(f"{demo}/year-end/{number}/")
    expect(office.get_by_test_id("status")).to_have_text("已公布")
    expect(office.get_by_test_id("docs-progress")).to_have_attribute("data-state", "done")
    expect(office.get_by_test_id("doc-bulletin.pdf")).to_be_visible()
    desk.shot(office, "process-published")
    # the year page's progress box asks for the run's state and shows it done
    desk.go(office, f"/appraisal/{number}/")
    expect(office.locator("[data-progress-box]")).to_be_visible()
    files = 2 * total + 3  # a letter per community (docx, pdf) and the bulletin (docx, pdf, xlsx)
    expect(office.locator("[data-progress-label]")).to_contain_text(f"已完成 {files}/{files}")
    bar = office.get_by_test_id("docs-progress")
    assert bar.evaluate(f"b => b.value === b.max && b.max === {files}")
    desk.shot(office, "year-published")
    desk.go(office, f"/year-end/{number}/results/")
    c05 = AssessedUnit.objects.get(year=year, code="c05")
    c05_total = office.locator("tbody tr", has_text=c05.name).locator("td").last.inner_text()
    assert re.fullmatch(r"\d+\.\d\d", c05_total), c05_total

    # 7. 光明社区 is told; its letter downloads from the notification and from the process page
    c05_page = desk.go(desk.of("c05-sec"), "/notifications/")
    letter = c05_page.locator('[data-testid=notification][data-verb="yearend.letter_ready"]')
    expect(letter).to_have_count(1)
    with c05_page.expect_download() as pdf_download:
        letter.click()
    text = "".join(
        page.extract_text() or ""
        for page in PdfReader(io.BytesIO(Path(pdf_download.value.path()).read_bytes())).pages
    )
    assert c05.name in text and c05_total in text, text[:500]
    desk.go(c05_page, f"/year-end/{number}/")
    expect(c05_page.get_by_test_id("doc-c01.pdf")).to_have_count(0)  # only its own letter
    with c05_page.expect_download() as docx_download:
        c05_page.get_by_test_id("doc-c05.docx").click()
    document = Document(docx_download.value.path())
    words = [p.text for p in document.paragraphs] + [
        cell.text for table in document.tables for row in table.rows for cell in row.cells
    ]
    assert any(c05.name in w for w in words)
    assert desk.errors() == []

    # 8. the bottom unit has its 督办单 in its 待办; the Office, the interview task (Art. 18)
    desk.go(office, f"/appraisal/{number}/interviews/")
    rows = office.get_by_test_id("interview-row")
    expect(rows.first).to_be_visible()
    bottom = AssessedUnit.objects.get(
        year=year, name=rows.first.locator(".fw-semibold").inner_text()
    )
    desk.go(office, "/inbox/")
    expect(
        office.locator(f'[data-testid=inbox-item][data-kind="{kinds.WI_INTERVIEW}"]').first
    ).to_be_visible()
    bottom_page = desk.go(desk.of(f"{bottom.code}-sec"), "/inbox/")
    expect(bottom_page.get_by_test_id("inbox-item").filter(has_text="督办")).to_have_count(1)
    desk.shot(bottom_page, "bottom-inbox")
    assert desk.errors() == []


def _decide_claims(year) -> None:
    """The bonus claims still open in the demo (Art. 6): the Office reviews the declared one, the
    Leading Group decides both (not clicked through: the claims have their own browser tests)."""
    office = User.objects.get(username="office")
    leader = User.objects.get(username="leader")
    for claim in BonusClaim.objects.filter(year=year, status="declared"):
        claims.claim_review(
            claim_id=claim.pk, acting_user=office, forward=True, note="材料齐全，提交领导小组审定。"
        )
    for claim in BonusClaim.objects.filter(year=year, status="office_reviewed"):
        claims.claim_decide(claim_id=claim.pk, acting_user=leader, approve=True, note="同意。")


def _fill_selfeval(page: Page, report: str) -> None:
    expect(page.get_by_test_id("selfeval-form")).to_be_visible()
    page.locator("#id_report").fill(report)
    scores = page.get_by_test_id("score")
    assert scores.count() > 0
    for n in range(scores.count()):
        scores.nth(n).fill("1")


def _verify_cell(page: Page, unit_id: int, indicator, comment: str) -> None:
    key = f"{unit_id}-{indicator.pk}"
    value = f"{indicator.max_points / 2:.2f}"
    page.locator(f"#v-{key}").fill(value)
    page.locator(f"#c-{key}").fill(comment)
    page.get_by_test_id("save-verification").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator(f"#v-{key}")).to_have_value(value)
    expect(page.locator(f"#c-{key}")).to_have_value(comment)


def _ballot_codes(pdf: bytes) -> list[str]:
    """The printed codes of the sheet (groups of five under each QR code)."""
    text = "".join(p.extract_text() or "" for p in PdfReader(io.BytesIO(pdf)).pages)
    return re.findall(r"\b[0-9A-Z]{5}(?:-[0-9A-Z]{1,5})+\b", text)
