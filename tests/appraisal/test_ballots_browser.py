"""The ballot page on a 375 px phone and the Office's live tally (headless Chromium)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import Client
from playwright.sync_api import expect

from appraisal.services import ballots as svc
from core.models import Role
from tests.browser.test_roles import no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_a_member_votes_on_a_phone_and_the_office_sees_it_live(
    new_context,
    live_server,
    org,
    year,
    screenshot_dir: Path,
):
    meeting, tokens = svc.ballot_meeting_create(
        year_id=year.pk,
        acting_user=org.user(Role.OFFICE_STAFF),
        unit_id=org.community.pk,
        title="2027年度社区党员大会民主测评",
        held_on=dt.date(2027, 1, 5),
        count=3,
    )
    # the Office watches the tally (logged in through a session of the test client)
    client = Client()
    client.force_login(org.user(Role.OFFICE_STAFF))
    desk_context = new_context()
    desk_context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    desk = desk_context.new_page()
    errors: list[str] = []
    desk.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    desk.goto(f"{live_server.url}{meeting.get_absolute_url()}")
    expect(desk.locator('[data-tally="ballots"]')).to_have_text("0")

    phone = new_context(viewport={"width": 375, "height": 740}).new_page()
    phone.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    phone.goto(f"{live_server.url}/ballot/{tokens[0]}/")
    expect(phone.get_by_text(org.community.name)).to_be_visible()
    no_horizontal_scroll(phone, 375)
    phone.screenshot(path=str(screenshot_dir / "ballot-phone.png"), full_page=True)
    phone.locator('input[value="basically"]').check()
    phone.locator("button[type=submit]").click()
    expect(phone.get_by_test_id("ballot-message")).to_be_visible()
    phone.screenshot(path=str(screenshot_dir / "ballot-phone-done.png"), full_page=True)

    # the desk sees the vote within a poll or two (every 3 s), without reloading
    expect(desk.locator('[data-tally="basically"]')).to_have_text("1", timeout=8000)
    desk.screenshot(path=str(screenshot_dir / "ballot-live-tally.png"), full_page=True)
    assert not [e for e in errors if "CSP" in e], errors
    desk.goto(f"{live_server.url}/appraisal/{year.year}/votes/stage/")
    expect(desk.get_by_test_id("tallies")).to_be_visible()
    expect(desk.get_by_test_id("empty-votes")).to_be_visible()
    desk.screenshot(path=str(screenshot_dir / "votes-stage.png"), full_page=True)
