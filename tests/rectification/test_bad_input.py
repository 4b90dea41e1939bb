"""Bad input never gives a 500 and never leaves anything half saved (Art. 11 notices).

Each test counts the rows a request could create (notices, replies, measures, evidence, audit
events) and the files in the private storage before and after, and checks the user is told what
was wrong, in Chinese.
"""

import datetime as dt
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent, Evidence, Role
from rectification import services
from rectification.models import Measure, MeasureSet, Notice, NoticeCounter, NoticeKind, Reply
from tests.factories import make_member
from tests.rectification.conftest import PDF_BYTES, notice_input, page_fields, pdf
from tests.rectification.test_access import MEASURES
from tests.rectification.test_access import make_notice as _make_notice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

OFFICE, STAFF = Role.OFFICE_STAFF, Role.COMMUNITY_STAFF
CJK = re.compile(r"[\u4e00-\u9fff]")
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 56


# --- helpers -----------------------------------------------------------------------------------


def stored_files() -> list[Path]:
    root = Path(settings.PRIVATE_STORAGE_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def saved_state() -> dict:
    """Everything a notice request could write."""
    return {
        "notices": list(Notice.objects.order_by("pk").values()),
        "replies": Reply.objects.count(),
        "measure_sets": MeasureSet.objects.count(),
        "measures": Measure.objects.count(),
        "evidence": Evidence.objects.count(),
        "audit": AuditEvent.objects.count(),
        "counters": list(NoticeCounter.objects.values_list("kind", "last")),
        "files": stored_files(),
    }


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def alerts(html: str) -> list[str]:
    """The texts of the alert boxes (messages, 409/413/415 pages)."""
    return [_text(a) for a in re.findall(r'role="alert">(.*?)</div>', html, re.S)]


def field_errors(html: str) -> list[str]:
    return [_text(e) for e in re.findall(r'class="invalid-feedback[^"]*">(.*?)</div>', html, re.S)]


def shown_errors(client, response) -> list[str]:
    """The errors the user sees: on the re-rendered form, or on the page redirected to."""
    if response.status_code in (302, 303):
        response = client.get(response.url)
    assert response.status_code in (200, 400)  # 400: the form again, with what was typed
    html = response.content.decode()
    return [e for e in alerts(html) + field_errors(html) if e]


def make_notice(org, issuer="office", state="issued"):
    # No attachment: these tests are about the refused input, not about showing files.
    return _make_notice(org, issuer, state, with_file=False)


def login(client, org, role):
    client.force_login(org.user(role))


def reply_data(notice, *files, text="已整改。"):
    return {"text": text, "files": list(files), **page_fields(notice, "notice_reply")}


# --- uploads -----------------------------------------------------------------------------------


def test_file_over_the_limit_is_refused_on_the_form(client, org, settings):
    # given a limit of 1 MB and an issued notice
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    notice = make_notice(org, "office", "issued")
    login(client, org, STAFF)
    before = saved_state()
    big = pdf("big-report.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    # when the community replies with a file one byte over the limit
    response = client.post(reverse("notice_reply", args=[notice.pk]), reply_data(notice, big))
    # then the form comes back (not an error page) with the file refused as too large on its
    # field, in Chinese, naming the file and the limit, and the typed reply kept
    assert response.status_code == 400
    html = response.content.decode()
    (message,) = field_errors(html)
    assert "big-report.pdf" in message and "1.0 MB" in message
    assert "已整改。</textarea>" in html
    assert CJK.search(message.replace("big-report.pdf", "")), message
    # and nothing was saved: no reply, no evidence, no audit row, no file
    assert saved_state() == before


def test_small_limit_is_stated_as_it_is(client, org, settings):
    # given an installation that accepts files of at most 100 KB
    settings.EVIDENCE_MAX_BYTES = 100 * 1024
    notice = make_notice(org, "office", "issued")
    login(client, org, STAFF)
    before = saved_state()
    # when the community attaches a 150 KB file
    big = pdf("scan.pdf", PDF_BYTES + b"0" * (150 * 1024))
    response = client.post(reverse("notice_reply", args=[notice.pk]), reply_data(notice, big))
    # then the message states the real limit, not "0 MB"
    assert response.status_code == 400
    (message,) = field_errors(response.content.decode())
    assert "100" in message and " 0 MB" not in message, message
    assert saved_state() == before


@pytest.mark.parametrize("content", [EXE, ELF], ids=["windows-exe", "linux-elf"])
def test_executable_renamed_pdf_is_refused_on_the_form(client, org, content):
    # given an issued notice
    notice = make_notice(org, "office", "issued")
    login(client, org, STAFF)
    before = saved_state()
    # when the community attaches a program renamed to .pdf
    fake = SimpleUploadedFile("report.pdf", content, content_type="application/pdf")
    response = client.post(reverse("notice_reply", args=[notice.pk]), reply_data(notice, fake))
    # then the file is refused by its content on the form, in Chinese, with the accepted types
    assert response.status_code == 400
    (message,) = field_errors(response.content.decode())
    assert "report.pdf" in message and "PDF" in message
    assert CJK.search(message), message
    # and nothing was saved
    assert saved_state() == before


def test_reply_with_a_good_and_a_bad_file_stores_neither(client, org):
    # given an issued notice
    notice = make_notice(org, "office", "issued")
    login(client, org, STAFF)
    before = saved_state()
    # when the community replies with a valid PDF followed by a program
    bad = SimpleUploadedFile("附件二.pdf", EXE, content_type="application/pdf")
    response = client.post(
        reverse("notice_reply", args=[notice.pk]), reply_data(notice, pdf("附件一.pdf"), bad)
    )
    # then the reply is refused and not even the valid file is kept
    assert response.status_code == 400
    assert saved_state() == before
    assert Notice.objects.get(pk=notice.pk).state == "issued"


def test_measures_with_a_good_and_a_bad_file_store_neither(client, org):
    # given a replied notice
    notice = make_notice(org, "office", "replied")
    login(client, org, STAFF)
    before = saved_state()
    data = {
        **MEASURES,
        **page_fields(notice, "notice_measures"),
        "m-TOTAL_FORMS": "2",
        "m-0-files": [pdf("措施一.pdf")],
        "m-1-description": "建立台账",
        "m-1-responsible_person": "李四",
        "m-1-planned_date": "2026-06-30",
        "m-1-files": [SimpleUploadedFile("措施二.pdf", ELF, content_type="application/pdf")],
    }
    # when the second measure carries a program
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    # then nothing of the submission is kept, and the form shows the refusal on measure 2
    assert response.status_code == 400
    html = response.content.decode()
    (message,) = field_errors(html)
    assert "措施二.pdf" in message
    assert 'value="李四"' in html
    assert saved_state() == before
    assert Notice.objects.get(pk=notice.pk).state == "replied"


def test_failure_after_a_file_was_written_removes_the_file(org, monkeypatch):
    # given an issued notice and a disk that fails on the second file
    notice = make_notice(org, "office", "issued")
    before = saved_state()
    real_store = services.evidence.store
    calls = []

    def failing_store(checked, **kwargs):
        calls.append(checked.name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_store(checked, **kwargs)

    monkeypatch.setattr(services.evidence, "store", failing_store)
    # when the community replies with two files
    with pytest.raises(OSError):
        services.notice_reply(
            notice_id=notice.pk,
            acting_user=org.user(STAFF),
            text="已整改。",
            files=[pdf("一.pdf"), pdf("二.pdf")],
        )
    # then the first file, already written, is gone again with the rolled-back reply
    assert calls == ["一.pdf", "二.pdf"]
    assert saved_state() == before


# --- NUL bytes and overlong text in every field of every form -----------------------------------

NUL = "整改\x00说明"
LONG = "长" * 100_000


def _new_form(org, notice):
    return {
        **page_fields(notice, "notice_edit" if notice else "notice_new"),
        "kind": "contact",
        "issuing_unit": org.office.pk,
        "targets": [org.community.pk],
        "subject": "会议记录不全",
        "problem": "缺少记录",
        "basis": "细则第十一条",
        "reply_due_workdays": "5",
        "measures_due_workdays": "10",
    }


# (id, url name, state of the notice (None: no notice), who posts, valid data, field, max length)
FORMS = [
    ("new-subject", "notice_new", None, OFFICE, _new_form, "subject", 200),
    ("new-problem", "notice_new", None, OFFICE, _new_form, "problem", 20000),
    ("new-basis", "notice_new", None, OFFICE, _new_form, "basis", 5000),
    ("edit-subject", "notice_edit", "draft", OFFICE, _new_form, "subject", 200),
    ("edit-problem", "notice_edit", "draft", OFFICE, _new_form, "problem", 20000),
    ("edit-basis", "notice_edit", "draft", OFFICE, _new_form, "basis", 5000),
    ("reply-text", "notice_reply", "issued", STAFF, {"text": "已整改。"}, "text", 20000),
    ("measure-description", "notice_measures", "replied", STAFF, MEASURES, "m-0-description", 5000),
    (
        "measure-person",
        "notice_measures",
        "replied",
        STAFF,
        MEASURES,
        "m-0-responsible_person",
        100,
    ),
    ("measure-date", "notice_measures", "replied", STAFF, MEASURES, "m-0-planned_date", None),
    ("return-reason", "notice_return", "replied", OFFICE, {"reason": "过简"}, "reason", 5000),
    (
        "verify-comment",
        "notice_verify",
        "measures_submitted",
        OFFICE,
        {"comment": "同意"},
        "comment",
        5000,
    ),
    (
        "withdraw-reason",
        "notice_withdraw",
        "issued",
        OFFICE,
        {"withdraw-reason": "误发"},
        "withdraw-reason",
        5000,
    ),
    ("escalate-reason", "notice_escalate", "issued", OFFICE, {"reason": "逾期"}, "reason", 5000),
]
_INTERVIEW = {"date": "2026-03-05", "place": "会议室", "attendees": "张三", "summary": "已谈话"}
FORMS += [
    ("interview-date", "notice_interview", "issued", OFFICE, _INTERVIEW, "date", None),
    ("interview-place", "notice_interview", "issued", OFFICE, _INTERVIEW, "place", 200),
    ("interview-attendees", "notice_interview", "issued", OFFICE, _INTERVIEW, "attendees", 500),
    ("interview-summary", "notice_interview", "issued", OFFICE, _INTERVIEW, "summary", 20000),
]


@pytest.mark.parametrize("bad", [NUL, LONG], ids=["nul", "100000-chars"])
@pytest.mark.parametrize(
    ("url_name", "state", "role", "valid", "field", "limit"),
    [f[1:] for f in FORMS],
    ids=[f[0] for f in FORMS],
)
def test_bad_text_is_refused_clearly_and_nothing_is_saved(
    client, org, bad, url_name, state, role, valid, field, limit
):
    # given a notice in the state the form needs, and the user who fills it in
    notice = make_notice(org, "office", state) if state else None
    login(client, org, role)
    before = saved_state()
    data = valid(org, notice) if callable(valid) else dict(valid)
    data.update(page_fields(notice, url_name))
    data[field] = bad
    url = reverse(url_name, args=[notice.pk] if notice else [])
    # when the form is posted with a NUL character or 100,000 characters in the field
    response = client.post(url, data)
    # then the user gets the form or the case page back (no 500) ...
    assert response.status_code in (200, 302, 303, 400), response.status_code
    if response.status_code in (302, 303):
        assert response.url == reverse("notice_detail", args=[notice.pk])
    # ... with a clear error in Chinese (naming the limit for overlong text)
    errors = shown_errors(client, response)
    assert errors, "no error shown"
    assert all(CJK.search(e) for e in errors), errors
    if bad is LONG and limit:
        assert any(str(limit) in e for e in errors), errors
    # and nothing was saved
    assert saved_state() == before


# --- what is shown is escaped ------------------------------------------------------------------

SCRIPT = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_script_in_subject_and_reply_is_shown_escaped(client, org):
    # given the Office issues a notice whose subject is a script tag
    login(client, org, OFFICE)
    data = {**_new_form(org, None), "subject": SCRIPT, "issue": "1"}
    response = client.post(reverse("notice_new"), data)
    assert response.status_code == 302
    notice = Notice.objects.get(subject=SCRIPT)
    # and the community replies with a script tag
    staff = Client()
    staff.force_login(org.user(STAFF))
    response = staff.post(
        reverse("notice_reply", args=[notice.pk]), reply_data(notice, text=SCRIPT)
    )
    assert response.status_code == 302
    assert Reply.objects.get(notice=notice).text == SCRIPT
    # when the case page, the ledger and the inbox are shown
    pages = {
        "case page": client.get(reverse("notice_detail", args=[notice.pk])),
        "ledger": client.get(reverse("ledger")),
        "community case page": staff.get(reverse("notice_detail", args=[notice.pk])),
        "community inbox": staff.get(reverse("inbox")),
    }
    # then the text appears, escaped, and never as a script
    for where, page in pages.items():
        assert page.status_code == 200, where
        body = page.content.decode()
        assert SCRIPT not in body, where
        assert ESCAPED in body, where
    case_page = pages["case page"].content.decode()
    assert case_page.count(ESCAPED) >= 2  # the subject and the reply


# --- deadlines ---------------------------------------------------------------------------------


def _dated_form(org, reply_due, measures_due="2026-04-30"):
    data = _new_form(org, None)
    del data["reply_due_workdays"], data["measures_due_workdays"]
    data.update(reply_due_date=reply_due, measures_due_date=measures_due)
    return data


def test_issuing_with_a_reply_deadline_in_the_past_is_refused_and_stays_a_draft(client, org):
    # given a draft whose reply deadline is the day before today (2026-03-02)
    login(client, org, OFFICE)
    response = client.post(reverse("notice_new"), _dated_form(org, "2026-03-01"))
    assert response.status_code == 302
    notice = Notice.objects.get()
    before = saved_state()
    # when the Office issues it
    response = client.post(
        reverse("notice_issue", args=[notice.pk]), page_fields(notice, "notice_issue")
    )
    # then it is refused with a clear message and the notice is still an unnumbered draft
    errors = shown_errors(client, response)
    assert errors and all(CJK.search(e) for e in errors), errors
    assert saved_state() == before
    notice.refresh_from_db()
    assert notice.state == "draft" and notice.number == ""


def test_saving_and_issuing_at_once_with_a_past_deadline_saves_nothing(client, org):
    # given the Office fills in a new notice with a reply deadline in the past
    login(client, org, OFFICE)
    before = saved_state()
    data = {**_dated_form(org, "2026-02-27"), "issue": "1"}
    # when it saves and issues at once
    response = client.post(reverse("notice_new"), data)
    # then the form comes back with a clear message and no notice exists, issued or not
    assert response.status_code == 200
    errors = shown_errors(client, response)
    assert errors and all(CJK.search(e) for e in errors), errors
    assert saved_state() == before


def test_editing_and_issuing_with_a_past_deadline_leaves_a_draft(client, org):
    # given a draft with a valid deadline in working days
    notice = make_notice(org, "office", "draft")
    login(client, org, OFFICE)
    # when the Office changes the reply deadline to a past date and issues
    data = {**_dated_form(org, "2026-02-27"), "issue": "1"}
    del data["submission_token"]
    data.update(page_fields(notice, "notice_edit"))
    response = client.post(reverse("notice_edit", args=[notice.pk]), data)
    # then it is told why, and the notice is not issued
    errors = shown_errors(client, response)
    assert errors and all(CJK.search(e) for e in errors), errors
    notice.refresh_from_db()
    assert notice.state == "draft" and notice.number == ""
    assert not NoticeCounter.objects.exists()


def test_measures_deadline_before_the_reply_deadline_is_refused_at_issue(client, org):
    # given a draft whose measures are due before the reply
    login(client, org, OFFICE)
    client.post(reverse("notice_new"), _dated_form(org, "2026-03-20", "2026-03-10"))
    notice = Notice.objects.get()
    before = saved_state()
    # when the Office issues it
    response = client.post(
        reverse("notice_issue", args=[notice.pk]), page_fields(notice, "notice_issue")
    )
    # then it is refused clearly and stays a draft
    errors = shown_errors(client, response)
    assert errors and all(CJK.search(e) for e in errors), errors
    assert saved_state() == before


# --- someone else's notice, wrong state, CSRF -----------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "state", "data"),
    [
        ("notice_reply", "issued", {"text": "冒充答复"}),
        ("notice_measures", "replied", MEASURES),
    ],
    ids=["reply", "measures"],
)
def test_post_on_another_communitys_notice_is_404(client, org, url_name, state, data):
    # given a notice to community c01 and the staff of c02
    notice = make_notice(org, "office", state)
    client.force_login(make_member(org.community2, STAFF))
    before = saved_state()
    # when c02 posts the community's action on c01's notice
    response = client.post(reverse(url_name, args=[notice.pk]), data)
    # then the notice does not exist for them and nothing changed
    assert response.status_code == 404
    assert saved_state() == before


def _opinion_letter(org):
    office = org.user(OFFICE)
    draft = services.notice_create(
        acting_user=office,
        data=notice_input(org, kind=NoticeKind.OPINION),
        target_id=org.community.pk,
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


_WHY = {"reason": "逾期未整改"}  # escalation asks for a reason (R11.2)

# (id, state of the notice, who posts, url name, data)
WRONG_STATE = [
    ("verify-issued", "issued", OFFICE, "notice_verify", {"comment": "同意"}),
    ("reply-twice", "replied", STAFF, "notice_reply", {"text": "再次答复"}),
    ("measures-before-reply", "issued", STAFF, "notice_measures", MEASURES),
    ("return-issued", "issued", OFFICE, "notice_return", {"reason": "无可退回"}),
    ("issue-twice", "issued", OFFICE, "notice_issue", {}),
    ("withdraw-replied", "replied", OFFICE, "notice_withdraw", {"withdraw-reason": "晚了"}),
    ("escalate-measures-submitted", "measures_submitted", OFFICE, "notice_escalate", _WHY),
    ("interview-draft", "draft", OFFICE, "notice_interview", _INTERVIEW),
    ("escalate-opinion-letter", "opinion", OFFICE, "notice_escalate", _WHY),
]


@pytest.mark.parametrize(
    ("state", "role", "url_name", "data"),
    [w[1:] for w in WRONG_STATE],
    ids=[w[0] for w in WRONG_STATE],
)
def test_action_in_the_wrong_state_is_409_with_a_chinese_message(
    client, org, state, role, url_name, data
):
    # given a notice in a state where the action does not fit
    notice = _opinion_letter(org) if state == "opinion" else make_notice(org, "office", state)
    login(client, org, role)
    before = saved_state()
    # when the action is posted (from a page showing the notice as it is)
    data = {**page_fields(notice, url_name), **data}
    response = client.post(reverse(url_name, args=[notice.pk]), data)
    # then it is a conflict, explained in Chinese, and nothing changed
    assert response.status_code == 409
    (message,) = alerts(response.content.decode())
    assert CJK.search(message), message
    assert not re.search(r"[A-Za-z]{4,}", message), message  # not left in English
    assert saved_state() == before


def test_post_without_csrf_token_is_403(org):
    # given a browser-like client that enforces CSRF, logged in as the community
    notice = make_notice(org, "office", "issued")
    client = Client(enforce_csrf_checks=True)
    client.force_login(org.user(STAFF))
    before = saved_state()
    # when the reply is posted without the token
    response = client.post(reverse("notice_reply", args=[notice.pk]), reply_data(notice))
    # then it is refused and nothing is saved
    assert response.status_code == 403
    assert saved_state() == before
    # while the same post with the page's token goes through
    client.get(reverse("notice_detail", args=[notice.pk]))
    token = client.cookies[settings.CSRF_COOKIE_NAME].value
    response = client.post(
        reverse("notice_reply", args=[notice.pk]),
        {**reply_data(notice), "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).state == "replied"


def test_return_with_a_new_deadline_in_the_past_is_refused(client, org):
    # given a replied notice
    notice = make_notice(org, "office", "replied")
    login(client, org, OFFICE)
    before = saved_state()
    # when the Office returns the reply with a new deadline in the past
    response = client.post(
        reverse("notice_return", args=[notice.pk]),
        {
            "reason": "请补充",
            "new_due": dt.date(2026, 3, 1).isoformat(),
            **page_fields(notice, "notice_return"),
        },
    )
    # then it is told the deadline must be in the future and nothing changed
    errors = shown_errors(client, response)
    assert errors and all(CJK.search(e) for e in errors), errors
    assert saved_state() == before
