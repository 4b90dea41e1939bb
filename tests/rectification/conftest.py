import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Role
from rectification import services
from rectification.models import NoticeKind

# A minimal valid PDF (content sniffing looks at the %PDF- header).
PDF_BYTES = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def pdf(name: str = "整改报告.pdf", data: bytes = PDF_BYTES) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def notice_input(org, **overrides) -> services.NoticeInput:
    values = {
        "kind": NoticeKind.CONTACT,
        "issuing_unit_id": org.office.pk,
        "subject": "三会一课记录不全",
        "problem": "第三季度支部委员会会议记录缺失。",
        "basis": "细则第十一条",
        "reply_due": services.Deadline(workdays=5),
        "measures_due": services.Deadline(workdays=10),
    }
    values.update(overrides)
    return services.NoticeInput(**values)


@pytest.fixture
def issued(org):
    """A contact sheet issued by the Office to A's community c01."""
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office, data=notice_input(org), target_id=org.community.pk
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


@pytest.fixture
def fixed_today(monkeypatch):
    """Pin 'now' to a plain Monday so working-day deadlines are predictable."""
    from django.utils import timezone

    moment = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    return moment
