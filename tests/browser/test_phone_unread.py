"""On a 375 px phone the unread-notification count stays visible beside the folded menu."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from core.models import Notification, User

from .test_roles import log_in, no_horizontal_scroll

pytestmark = pytest.mark.browser


def test_unread_count_visible_on_a_phone_without_opening_the_menu(
    new_context, demo, screenshot_dir: Path
):
    user = User.objects.get(username="c01")
    unread = Notification.objects.filter(recipient_user=user, read_at__isnull=True).count()
    assert unread > 0, "the demo gives c01 unread notifications"
    phone = new_context(viewport={"width": 375, "height": 812}).new_page()
    log_in(phone, demo, "c01")
    phone.goto(f"{demo}/")
    expect(phone.get_by_role("button", name="菜单")).to_be_visible()
    badge = phone.get_by_test_id("unread-count-compact")
    expect(badge).to_be_visible()
    expect(badge).to_have_text(str(unread))
    # The count inside the folded menu is not what the user sees.
    expect(phone.get_by_test_id("unread-count")).to_be_hidden()
    no_horizontal_scroll(phone, 375)
    phone.screenshot(path=str(screenshot_dir / "phone-unread-count.png"))
    phone.get_by_test_id("notifications-compact").click()
    expect(phone).to_have_url(f"{demo}/notifications/")

    desk = new_context().new_page()
    log_in(desk, demo, "c01")
    desk.goto(f"{demo}/")
    # On a desktop the menu is open and shows the one count; the phone's copy is hidden.
    expect(desk.get_by_test_id("unread-count")).to_be_visible()
    expect(desk.get_by_test_id("notifications-compact")).to_be_hidden()
