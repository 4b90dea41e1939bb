"""Each demo role logs in, sees its home page in Chinese, and logs out again (headless Chromium).

Screenshots land in var/screenshots/ (ignored by git) for a person to look at.
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, Request, Response, expect

from core.models import Role

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "demo12345"

# (username from seed_demo, the role whose home section it sees; None: the superuser)
ACCOUNTS = [
    ("office", Role.OFFICE_STAFF),
    ("dept-lz", Role.DEPT_ASSESSOR),
    ("leader", Role.LEADER),
    ("auditor", Role.AUDITOR),
    ("c01", Role.COMMUNITY_STAFF),
    ("c01-sec", Role.COMMUNITY_SECRETARY),
    ("admin", None),
]


class PageProblems:
    """Console errors (CSP violations among them), uncaught exceptions and failed responses."""

    def __init__(self, page: Page):
        self.errors: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("response", self._response)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} ({message.location.get('url')})")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.errors.append(f"HTTP {response.status}: {response.url}")


def login_url(base_url: str) -> re.Pattern:
    return re.compile(re.escape(f"{base_url}/accounts/login/") + r"(\?.*)?$")


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(f"{base_url}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("您好")


def log_out(page: Page, base_url: str) -> None:
    page.locator("#nav-account").click()
    logout = page.get_by_test_id("logout")
    expect(logout).to_be_visible()
    expect(logout).to_have_text("退出")
    logout.click()
    expect(page).to_have_url(login_url(base_url))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    expect(page.locator("#nav-account")).to_have_count(0)


def no_horizontal_scroll(page: Page, width: int) -> None:
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= width, f"{page.url}: scrollWidth {scroll_width} > {width}"


@pytest.mark.parametrize(("username", "role"), ACCOUNTS, ids=[a[0] for a in ACCOUNTS])
def test_role_logs_in_sees_home_and_logs_out(
    page: Page, demo: str, screenshot_dir: Path, username: str, role: str | None
):
    problems = PageProblems(page)
    log_in(page, demo, username)

    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    sections = page.locator("[data-role]")
    if role is None:
        hint = page.get_by_role("alert").filter(has_text="系统级管理员")
        expect(hint).to_be_visible()
        expect(hint.get_by_role("link", name="系统管理")).to_be_visible()
        expect(sections).to_have_count(0)
    else:
        expect(page.locator(f'[data-role="{role}"]')).to_be_visible()
        expect(sections).to_have_count(1)  # every demo account holds exactly one role
    page.screenshot(path=str(screenshot_dir / f"{username}.png"), full_page=True)

    log_out(page, demo)
    assert problems.errors == []


def test_phone_layout_menu_and_logout(new_context, demo: str, screenshot_dir: Path):
    width = 375
    context = new_context(
        viewport={"width": width, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    problems = PageProblems(page)

    page.goto(f"{demo}/accounts/login/")
    no_horizontal_scroll(page, width)
    log_in(page, demo, "c01-sec")
    expect(page.locator(f'[data-role="{Role.COMMUNITY_SECRETARY}"]')).to_be_visible()
    no_horizontal_scroll(page, width)
    page.screenshot(path=str(screenshot_dir / "mobile-c01-sec.png"), full_page=True)

    # Collapsed navbar: the menu and the account link hide behind the toggler.
    toggler = page.locator("button.navbar-toggler")
    menu = page.locator("#nav-main")
    expect(toggler).to_be_visible()
    expect(menu).to_be_hidden()
    expect(page.locator("#nav-account")).to_be_hidden()
    toggler.click()
    # Wait for Bootstrap's collapse transition to end ("collapsing" -> "collapse show").
    expect(menu).to_have_class(re.compile(r"(^|\s)show(\s|$)"))
    expect(menu).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(menu.get_by_role("link", name="工作日历")).to_be_visible()
    no_horizontal_scroll(page, width)
    page.screenshot(path=str(screenshot_dir / "mobile-c01-sec-menu.png"))

    log_out(page, demo)
    no_horizontal_scroll(page, width)
    assert problems.errors == []


def test_no_request_leaves_the_host_and_no_console_errors(page: Page, demo: str):
    requests: list[str] = []

    def record(request: Request) -> None:
        requests.append(request.url)

    page.context.on("request", record)
    problems = PageProblems(page)

    log_in(page, demo, "office")
    nav = page.locator("nav.app-navbar")
    for label, path in [("组织机构", "/org/"), ("工作日历", "/calendar/"), ("审计日志", "/audit/")]:
        nav.get_by_role("link", name=label, exact=True).click()
        expect(page).to_have_url(re.compile(re.escape(f"{demo}{path}") + r"(\?.*)?$"))
        expect(page.get_by_role("heading", level=1)).to_be_visible()
    nav.get_by_role("link", name="首页", exact=True).click()
    expect(page).to_have_url(f"{demo}/")
    page.wait_for_load_state("networkidle")

    assert len(requests) > 4
    off_host = [url for url in requests if not url.startswith((f"{demo}/", "data:"))]
    assert off_host == []
    assert problems.errors == []
