import datetime as dt
import uuid

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


# What each case-page form acts on (rectification/views.py, services._check_expected).
_VERSION_OF = {
    "notice_reply": "reply",
    "notice_measures": "measures",
    "notice_verify": "measures",
}


# The official acts that ask for confirmation first (rectification/confirmations.py): a test
# that means to perform one posts confirmed=1, as the confirmation page's button does.
CONFIRMED_ACTS = ("notice_new", "notice_edit", "notice_issue", "notice_return", "notice_verify")
CONFIRMED_ACTS += ("notice_withdraw",)


def page_fields(notice, url_name: str, *, confirmed: bool = True) -> dict:
    """The hidden fields the case page's form for `url_name` sends for the notice as it is now,
    as a browser would post them (tests posting an action directly add these), with the
    confirmation of an official act (`confirmed=False`: the first post, which only asks)."""
    fields = _page_fields(notice, url_name)
    if confirmed and url_name in CONFIRMED_ACTS:
        fields["confirmed"] = "1"
    return fields


def _page_fields(notice, url_name: str) -> dict:
    from django.db.models import Max

    from rectification.models import Notice, NoticeState

    if url_name == "notice_new":  # a fresh page: a fresh one-time token
        return {"submission_token": str(uuid.uuid4())}
    notice = Notice.objects.get(pk=notice.pk)
    if url_name == "notice_edit":
        return {"expected_draft": services.draft_fingerprint(notice)}
    fields = {"expected_state": notice.state}
    kind = _VERSION_OF.get(url_name)
    if url_name == "notice_return":
        kind = "measures" if notice.state == NoticeState.MEASURES_SUBMITTED else "reply"
    if kind:
        versions = notice.replies if kind == "reply" else notice.measure_sets
        fields["expected_version"] = versions.aggregate(v=Max("version"))["v"] or 0
    if url_name == "notice_interview":
        fields = {"expected_interview": services.interview_fingerprint(notice)}
    elif url_name == "notice_extension_decide":
        pending = notice.extensions.filter(state="pending").first()
        fields = {"expected_extension": pending.pk if pending else 1}
    elif url_name == "notice_dismiss_proposal":
        proposal = notice.proposals.filter(state="open").first()
        fields = {"expected_proposal": proposal.pk if proposal else 1}
    return fields
