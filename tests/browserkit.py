"""Fixtures for the Playwright browser tests (`pytest -m browser`), wherever they live.

Loaded once for the whole suite by `pytest_plugins` in tests/conftest.py: a second copy of the
session-scoped `browser` fixture (imported into a test module) would start a second Playwright
while the first one's event loop is still running, and every later browser test would error.

Debian's Chromium is launched once per session (`playwright install` is not needed); every test
gets a fresh browser context, so no cookie or session leaks from one test into the next.
"""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROJECT_ROOT = Path(__file__).resolve().parents[1]
SCREENSHOTS = PROJECT_ROOT / "var" / "screenshots"
TIMEOUT_MS = 10_000

# Reported through console.error so that one listener sees it even if Chromium's own CSP
# message were ever missing. Injected over CDP, so the page's CSP does not apply to it.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", function (e) {
  console.error("CSP violation: " + e.violatedDirective + " blocked " + e.blockedURI);
});
"""


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in the test thread, so Django would refuse ORM
    # calls made there (seeding, the flush after each test) with SynchronousOnlyOperation. This
    # is the documented switch for Playwright + Django tests; set only while browsers run, so
    # the rest of the suite keeps Django's async-safety check.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def new_context(browser: Browser) -> Iterator:
    """Factory for fresh contexts (locale zh-CN); all are closed after the test."""
    contexts: list[BrowserContext] = []

    def make(**kwargs) -> BrowserContext:
        kwargs.setdefault("locale", "zh-CN")
        kwargs.setdefault("viewport", {"width": 1280, "height": 800})
        context = browser.new_context(**kwargs)
        context.set_default_timeout(TIMEOUT_MS)
        context.add_init_script(CSP_LISTENER)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context) -> Page:
    return new_context().new_page()


@pytest.fixture
def demo(live_server, settings) -> str:
    """Load the demo data exactly as users get it (seed_demo runs only with DEBUG on).

    Returns the live server's URL. live_server brings transactional_db, which flushes the
    database after the test.
    """
    settings.DEBUG = True
    try:
        call_command("seed_demo", verbosity=0)
    finally:
        settings.DEBUG = False
    return live_server.url


@pytest.fixture(scope="session")
def screenshot_dir() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
