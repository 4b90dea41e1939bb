"""The case timeline names every step by its label, never by its event code."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from core import audit_events
from core.models import Role
from tests.core.test_audit_pages import raw_codes, visible_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("role", [Role.OFFICE_STAFF, Role.COMMUNITY_STAFF, Role.AUDITOR])
def test_the_timeline_shows_labels(client, org, issued, role):
    client.force_login(org.user(role))
    page = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    text = visible_text(page)
    with translation.override("zh-hans"):
        for key in ("notice.create", "notice.issue"):
            assert audit_events.label(key) in text
    # the steps stay addressable by their code for tests and scripts, in an attribute only
    assert 'data-event="notice.issue"' in page
    assert not raw_codes(text)
