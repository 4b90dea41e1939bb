"""The notice forms keep the user's work (Art. 11): a bad measure row is marked on the form as
typed, a returned version prefills the next one (its files kept with a checkbox), the ledger shows
returns and closing times, the case page leads back where it was opened from, the extension
request shows its status, and every upload field says what it accepts."""

import datetime as dt
import hashlib
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext, ngettext

from core import evidence
from core.errors import Conflict
from core.models import AuditEvent, Evidence, Role
from rectification import services
from rectification.models import Measure, Notice, Reply
from tests.rectification.conftest import PDF_BYTES, page_fields, pdf
from tests.rectification.test_access import make_notice
from tests.rectification.test_bad_input import ELF, field_errors, saved_state

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

OFFICE, STAFF, SECRETARY = Role.OFFICE_STAFF, Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY
SH = dt.timezone(dt.timedelta(hours=8))


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def rows(html: str) -> list[str]:
    """The HTML of each measure row (fieldset) of the measures form."""
    form = html.split('id="measures-form"')[1].split("</form>")[0]
    return form.split('<fieldset class="border rounded')[1:]


def measures_data(notice, *rows_, extra=None) -> dict:
    data = {
        "m-TOTAL_FORMS": str(len(rows_)),
        "m-INITIAL_FORMS": "0",
        "m-MIN_NUM_FORMS": "1",
        "m-MAX_NUM_FORMS": "50",
        **page_fields(notice, "notice_measures"),
    }
    for i, row in enumerate(rows_):
        for key, value in row.items():
            data[f"m-{i}-{key}"] = value
    data.update(extra or {})
    return data


def files_of(subject) -> list[Evidence]:
    return list(
        Evidence.objects.filter(
            subject_type=ContentType.objects.get_for_model(subject), subject_id=subject.pk
        ).order_by("id")
    )


def submit_measures_with_file(org, notice, name="措施材料.pdf", data=PDF_BYTES):
    return services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=org.user(STAFF),
        measures=[
            services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 6, 30), [pdf(name, data)]),
            services.MeasureInput("建立学习台账", "李四", dt.date(2026, 7, 15)),
        ],
    )


def return_measures(org, notice, reason="措施不具体，请细化。"):
    return services.notice_return(notice_id=notice.pk, acting_user=org.user(OFFICE), reason=reason)


# --- item 1: the measures form keeps what was typed ---------------------------------------------


def test_incomplete_row_keeps_every_typed_row_and_names_the_bad_one(client, org):
    # given a replied notice, opened by the community
    notice = make_notice(org, "office", "replied", with_file=False)
    client.force_login(org.user(STAFF))
    before = saved_state()
    # when two measures are sent and the second has no responsible person
    data = measures_data(
        notice,
        {"description": "补齐会议记录", "responsible_person": "张三", "planned_date": "2026-06-30"},
        {"description": "建立学习台账", "responsible_person": "", "planned_date": "2026-07-15"},
    )
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    # then the form comes back (400), not a redirect, with every typed value still in it
    assert response.status_code == 400
    html = response.content.decode()
    first, second = rows(html)
    assert "补齐会议记录</textarea>" in first and 'value="张三"' in first
    assert 'value="2026-06-30"' in first
    assert "建立学习台账</textarea>" in second and 'value="2026-07-15"' in second
    # and the second row, only it, is marked, its missing field named
    assert 'data-testid="measure-row" aria-invalid="true"' in second
    assert 'data-testid="measure-row" aria-invalid' not in first
    assert "border-danger" in second and "border-danger" not in first
    assert field_errors(second) == [gettext("Required for this measure.")]
    assert field_errors(first) == []
    summary = text_of(html.split('data-testid="form-errors">')[1].split("<fieldset")[0])
    assert gettext("The measures were not submitted: correct what is marked below.") in summary
    measure_2 = gettext("Measure %(n)s") % {"n": 2}
    assert measure_2 in summary, summary
    assert gettext("Measure %(n)s") % {"n": 1} not in summary
    # and nothing was saved: no measures, no audit row, the notice still waits for measures
    assert saved_state() == before
    assert Notice.objects.get(pk=notice.pk).state == "replied"


def test_all_rows_empty_asks_for_one_measure(client, org):
    notice = make_notice(org, "office", "replied", with_file=False)
    client.force_login(org.user(STAFF))
    before = saved_state()
    empty = {"description": "", "responsible_person": "", "planned_date": ""}
    response = client.post(
        reverse("notice_measures", args=[notice.pk]), measures_data(notice, empty, empty)
    )
    assert response.status_code == 400
    assert gettext("Enter at least one measure.") in text_of(response.content.decode())
    assert saved_state() == before


def test_a_row_with_a_file_but_no_text_is_marked(client, org):
    notice = make_notice(org, "office", "replied", with_file=False)
    client.force_login(org.user(STAFF))
    before = saved_state()
    data = measures_data(
        notice,
        {"description": "补齐会议记录", "responsible_person": "张三", "planned_date": "2026-06-30"},
        {"files": [pdf("无说明.pdf")]},
    )
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    assert response.status_code == 400
    _first, second = rows(response.content.decode())
    assert len(field_errors(second)) == 3  # description, person and date each marked
    assert saved_state() == before


def test_after_a_return_the_measures_form_is_prefilled_with_the_files_checked(client, org):
    # given measures with a file, returned by the Office
    notice = make_notice(org, "office", "replied", with_file=False)
    submit_measures_with_file(org, notice)
    return_measures(org, notice)
    old = Notice.objects.get(pk=notice.pk).measure_sets.get(version=1)
    kept = files_of(old.measures.get(position=1))
    # when the community opens the case
    client.force_login(org.user(STAFF))
    html = client.get(reverse("notice_detail", args=[notice.pk])).content.decode()
    # then the form starts from the returned version, row by row, plus one empty row
    first, second, third = rows(html)
    assert "补齐会议记录</textarea>" in first and 'value="张三"' in first
    assert 'value="2026-06-30"' in first
    assert "建立学习台账</textarea>" in second and 'value="李四"' in second
    assert ">\n</textarea>" in third and 'name="m-2-responsible_person"' in third
    assert 'name="m-2-responsible_person" value=' not in third
    # and the returned file is offered to keep, checked, on its own row only
    assert "措施材料.pdf" in first and "措施材料.pdf" not in second
    (box,) = re.findall(r'<input type="checkbox" name="m-0-keep"[^>]*>', first)
    assert f'value="{kept[0].pk}"' in box and "checked" in box
    assert gettext("Keep the files of the returned version") in first
    assert 'name="m-1-keep"' not in second  # no files there: no keep box


def test_kept_file_is_copied_to_the_new_version_and_unchecked_is_dropped(client, org):
    # given returned measures, the first with two files
    notice = make_notice(org, "office", "replied", with_file=False)
    services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=org.user(STAFF),
        measures=[
            services.MeasureInput(
                "补齐会议记录",
                "张三",
                dt.date(2026, 6, 30),
                [pdf("保留.pdf", PDF_BYTES + b"keep"), pdf("不要.pdf", PDF_BYTES + b"drop")],
            )
        ],
    )
    return_measures(org, notice)
    old_measure = Measure.objects.get(measure_set__notice=notice, measure_set__version=1)
    keep, drop = files_of(old_measure)
    client.force_login(org.user(STAFF))
    # when the community resubmits with only the first file checked (the second unchecked)
    data = measures_data(
        notice,
        {
            "description": "补齐会议记录并经支委会审定",
            "responsible_person": "张三",
            "planned_date": "2026-06-30",
            "keep": [str(keep.pk)],
        },
    )
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    # then the new version carries a copy of the kept file only: same bytes (hash), own name
    new_measure = Measure.objects.get(measure_set__notice=notice, measure_set__version=2)
    (copy,) = files_of(new_measure)
    assert copy.original_name == "保留.pdf" and copy.sha256 == keep.sha256
    assert copy.stored_name != keep.stored_name
    with open(evidence.path_of(copy), "rb") as f:
        assert hashlib.sha256(f.read()).hexdigest() == keep.sha256
    # and the returned version keeps both of its files, as they were submitted
    assert [e.pk for e in files_of(old_measure)] == [keep.pk, drop.pk]
    assert evidence.path_of(drop).exists()
    assert Notice.objects.get(pk=notice.pk).state == "measures_submitted"


def test_forged_keep_id_of_another_notice_is_refused(client, org):
    # given a returned measures version here, and a file of another notice's measures
    notice = make_notice(org, "office", "replied", with_file=False)
    submit_measures_with_file(org, notice)
    return_measures(org, notice)
    other = make_notice(org, "office", "replied", with_file=False)
    submit_measures_with_file(org, other, name="别家的.pdf", data=PDF_BYTES + b"other")
    (foreign,) = files_of(Measure.objects.get(measure_set__notice=other, position=1))
    client.force_login(org.user(STAFF))
    before = saved_state()
    # when the form is posted naming the other notice's file to keep
    data = measures_data(
        notice,
        {
            "description": "补齐会议记录",
            "responsible_person": "张三",
            "planned_date": "2026-06-30",
            "keep": [str(foreign.pk)],
        },
    )
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    # then it is refused on the form, and nothing is saved or copied
    assert response.status_code == 400
    assert saved_state() == before
    assert "别家的.pdf" not in response.content.decode()


def test_service_refuses_a_keep_id_that_is_not_of_the_returned_version(org):
    # the service checks again, whatever the form let through (409)
    notice = make_notice(org, "office", "replied", with_file=False)
    submit_measures_with_file(org, notice)
    return_measures(org, notice)
    other = make_notice(org, "office", "replied")  # its reply carries a PDF
    (foreign,) = files_of(other.replies.get())
    before = saved_state()
    with pytest.raises(Conflict):
        services.notice_submit_measures(
            notice_id=notice.pk,
            acting_user=org.user(STAFF),
            measures=[
                services.MeasureInput(
                    "补齐会议记录", "张三", dt.date(2026, 6, 30), keep_file_ids=[foreign.pk]
                )
            ],
        )
    assert saved_state() == before


def test_after_a_reply_return_the_reply_form_is_prefilled_and_keeps_its_file(client, org):
    # given a reply with a file, returned by the Office
    notice = make_notice(org, "office", "replied")  # reply "已组织整改。" with 整改报告.pdf
    services.notice_return(notice_id=notice.pk, acting_user=org.user(OFFICE), reason="不具体")
    (old_file,) = files_of(notice.replies.get(version=1))
    client.force_login(org.user(STAFF))
    # when the community opens the case, the reply is prefilled and its file checked
    html = client.get(reverse("notice_detail", args=[notice.pk])).content.decode()
    form = html.split('id="reply-form"')[1].split("</form>")[0]
    assert "已组织整改。</textarea>" in form
    (box,) = re.findall(r'<input type="checkbox" name="keep"[^>]*>', form)
    assert f'value="{old_file.pk}"' in box and "checked" in box
    # and resubmitting with it checked copies the file to the new reply
    data = {"text": "已组织整改，补充说明。", "keep": [str(old_file.pk)]}
    data.update(page_fields(notice, "notice_reply"))
    response = client.post(reverse("notice_reply", args=[notice.pk]), data)
    assert response.status_code == 302
    (copy,) = files_of(Reply.objects.get(notice=notice, version=2))
    assert copy.sha256 == old_file.sha256 and copy.pk != old_file.pk
    assert AuditEvent.objects.filter(event_type="notice.reply").count() == 2


def test_reply_without_keep_drops_the_returned_file(client, org):
    notice = make_notice(org, "office", "replied")
    services.notice_return(notice_id=notice.pk, acting_user=org.user(OFFICE), reason="不具体")
    client.force_login(org.user(STAFF))
    data = {"text": "重新答复。", **page_fields(notice, "notice_reply")}
    response = client.post(reverse("notice_reply", args=[notice.pk]), data)
    assert response.status_code == 302
    assert files_of(Reply.objects.get(notice=notice, version=2)) == []


def test_kept_files_count_toward_the_limit_of_files_per_submission(client, org, monkeypatch):
    # given a returned reply with one file, and a limit of 2 files per submission
    monkeypatch.setattr(evidence, "MAX_FILES_PER_SUBMISSION", 2)
    notice = make_notice(org, "office", "replied")
    services.notice_return(notice_id=notice.pk, acting_user=org.user(OFFICE), reason="不具体")
    (old_file,) = files_of(notice.replies.get(version=1))
    client.force_login(org.user(STAFF))
    before = (Reply.objects.count(), Evidence.objects.count(), AuditEvent.objects.count())
    # when the community keeps that file and attaches two new ones (3 in all)
    data = {
        "text": "补充答复。",
        "keep": [str(old_file.pk)],
        "files": [pdf("一.pdf"), pdf("二.pdf")],
        **page_fields(notice, "notice_reply"),
    }
    response = client.post(reverse("notice_reply", args=[notice.pk]), data)
    # then the form comes back with the message on the files, and nothing is saved
    assert response.status_code == 400
    assert "补充答复。" in response.content.decode()
    assert (Reply.objects.count(), Evidence.objects.count(), AuditEvent.objects.count()) == before
    # and the service refuses it too, for a caller without the form
    with pytest.raises(ValidationError):
        services.notice_reply(
            notice_id=notice.pk,
            acting_user=org.user(STAFF),
            text="补充答复。",
            files=[pdf("一.pdf"), pdf("二.pdf")],
            keep_file_ids=[old_file.pk],
        )
    assert (Reply.objects.count(), Evidence.objects.count(), AuditEvent.objects.count()) == before


# --- item 6: the ledger and the way back ---------------------------------------------------------


def test_ledger_marks_returned_cases_with_the_count_and_shows_the_closing_time(client, org):
    # given a case returned twice (reply, then measures), one closed, one never returned
    returned = make_notice(org, "office", "replied")
    services.notice_return(notice_id=returned.pk, acting_user=org.user(OFFICE), reason="不具体")
    services.notice_reply(notice_id=returned.pk, acting_user=org.user(STAFF), text="再答复")
    services.notice_submit_measures(
        notice_id=returned.pk,
        acting_user=org.user(STAFF),
        measures=[services.MeasureInput("补齐", "张三", dt.date(2026, 6, 30))],
    )
    return_measures(org, returned)
    closed = make_notice(org, "office", "measures_submitted")
    services.notice_verify(notice_id=closed.pk, acting_user=org.user(OFFICE))
    plain = make_notice(org, "office", "issued")
    client.force_login(org.user(OFFICE))
    # when the Office opens the ledger
    html = client.get(reverse("ledger")).content.decode()
    by_number = {
        n.number: text_of(row)
        for n in Notice.objects.filter(pk__in=[returned.pk, closed.pk, plain.pk])
        for row in re.findall(r"<tr>.*?</tr>", html, re.S)
        if f">{n.number}<" in row
    }
    # then the returned case says how often it went back; the others do not
    twice = ngettext("returned %(c)s time", "returned %(c)s times", 2) % {"c": 2}
    assert twice in by_number[Notice.objects.get(pk=returned.pk).number]
    assert html.count('data-testid="returns"') == 1
    # and there is a closing-time column, filled for the closed case only
    assert gettext("Closed at") in text_of(html.split("</thead>")[0])
    closed_at = Notice.objects.get(pk=closed.pk).closed_at.astimezone(SH).strftime("%Y-%m-%d")
    assert closed_at in by_number[Notice.objects.get(pk=closed.pk).number]
    assert closed_at not in by_number[Notice.objects.get(pk=plain.pk).number]


def test_ledger_search_label_names_the_subject_column(client, org):
    client.force_login(org.user(OFFICE))
    html = client.get(reverse("ledger")).content.decode()
    assert gettext("Search by subject or number") in html
    assert "搜索标题" not in html and "Search subject" not in html  # the old 标题 label


def test_ledger_links_carry_the_filters_back_to_the_case_breadcrumb(client, org):
    notice = make_notice(org, "office", "issued")
    client.force_login(org.user(OFFICE))
    html = client.get(reverse("ledger"), {"q": "三会", "kind": "contact"}).content.decode()
    (link,) = set(re.findall(rf'href="(/notices/{notice.pk}/\?back=[^"]+)"', html))
    case = client.get(link.replace("&amp;", "&")).content.decode()
    (back,) = re.findall(r'<a href="([^"]+)" data-testid="back">([^<]+)</a>', case)
    assert back[0].replace("&amp;", "&") == "/notices/?q=%E4%B8%89%E4%BC%9A&kind=contact"
    assert back[1] == gettext("Ledger")


def test_inbox_links_lead_back_to_the_inbox_with_its_filter(client, org):
    notice = make_notice(org, "office", "issued")
    client.force_login(org.user(STAFF))
    html = client.get(reverse("inbox"), {"kind": "notice.reply"}).content.decode()
    (link,) = set(re.findall(rf'href="(/notices/{notice.pk}/\?back=[^"]+)"', html))
    case = client.get(link.replace("&amp;", "&")).content.decode()
    (back,) = re.findall(r'<a href="([^"]+)" data-testid="back">([^<]+)</a>', case)
    assert back[0] == "/inbox/?kind=notice.reply" and back[1] == gettext("Task inbox")


@pytest.mark.parametrize(
    "back",
    [
        "//evil.com/notices/",
        "https://evil.com/notices/",
        "http://testserver/notices/",
        "/\\evil.com/notices/",
        "javascript:alert(1)",
        "/admin/",
        "/notices/1/",
        "notices/",
    ],
)
def test_back_accepts_only_the_ledger_or_the_inbox_of_this_site(client, org, back):
    notice = make_notice(org, "office", "issued")
    client.force_login(org.user(OFFICE))
    response = client.get(reverse("notice_detail", args=[notice.pk]), {"back": back})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="back"' not in html
    assert not re.search(r'href="[^"]*(evil\.com|javascript:)', html)


def test_back_is_kept_after_an_action(client, org):
    notice = make_notice(org, "office", "replied", with_file=False)
    client.force_login(org.user(STAFF))
    case_url = reverse("notice_detail", args=[notice.pk]) + "?back=%2Fnotices%2F%3Fq%3Dx"
    data = measures_data(
        notice,
        {"description": "补齐会议记录", "responsible_person": "张三", "planned_date": "2026-06-30"},
    )
    response = client.post(
        reverse("notice_measures", args=[notice.pk]),
        data,
        HTTP_REFERER="http://testserver" + case_url,
    )
    assert response.status_code == 302 and response.url == case_url


# --- item 7: the extension request's status --------------------------------------------------


def _ask(org, notice, days_later=10):
    new_date = notice.current_due_at.astimezone(SH).date() + dt.timedelta(days=days_later)
    return services.extension_request(
        notice_id=notice.pk,
        acting_user=org.user(SECRETARY),
        new_date=new_date,
        reason="书记外出学习",
    )


def _extension_cards(client, notice) -> list[tuple[str, str]]:
    html = client.get(reverse("notice_detail", args=[notice.pk])).content.decode()
    cards = re.findall(
        r'data-testid="extension-request" data-state="(\w+)">(.*?)</div>\s*</div>', html, re.S
    )
    return [(state, text_of(body)) for state, body in cards]


def test_pending_extension_shows_pending_with_the_request_date(client, org):
    notice = make_notice(org, "office", "issued")
    extension = _ask(org, notice)
    client.force_login(org.user(SECRETARY))
    ((state, text),) = _extension_cards(client, notice)
    assert state == "pending"
    assert gettext("Pending") in text and gettext("Extension request") in text
    assert gettext("Granted") not in text
    assert extension.requested_at.astimezone(SH).strftime("%Y-%m-%d %H:%M") in text
    assert extension.requested_date.isoformat() in text


def test_decided_extensions_show_granted_and_not_granted_with_dates(client, org):
    # given a request refused, then another granted
    notice = make_notice(org, "office", "issued")
    _ask(org, notice)
    services.extension_decide(
        notice_id=notice.pk, acting_user=org.user(OFFICE), grant=False, reason="理由不充分"
    )
    notice.refresh_from_db()
    _ask(org, notice, days_later=5)
    services.extension_decide(notice_id=notice.pk, acting_user=org.user(OFFICE), grant=True)
    refused, granted = notice.extensions.order_by("id")
    client.force_login(org.user(SECRETARY))
    cards = dict(_extension_cards(client, notice))
    # then each shows its status, the request and decision times, and the new deadline
    assert gettext("Not granted") in cards["refused"] and "理由不充分" in cards["refused"]
    assert gettext("Granted") in cards["granted"]
    for e, text in ((refused, cards["refused"]), (granted, cards["granted"])):
        assert e.requested_at.astimezone(SH).strftime("%Y-%m-%d %H:%M") in text
        assert e.decided_at.astimezone(SH).strftime("%Y-%m-%d %H:%M") in text
    assert granted.granted_due_at.astimezone(SH).strftime("%Y-%m-%d") in cards["granted"]


# --- item 8: upload hints and refused files ---------------------------------------------------


def _hint_text() -> str:
    return gettext(
        "Accepted: %(types)s. At most %(limit)s per file and %(n)s files at once; the type "
        "is checked by the file's content."
    ).split("%(types)s")[0]


def test_every_file_field_of_the_notice_forms_has_its_hint(client, org, settings):
    settings.EVIDENCE_MAX_BYTES = 3 * 1024 * 1024
    client.force_login(org.user(STAFF))
    # the reply form
    issued = make_notice(org, "office", "issued")
    html = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert html.count('type="file"') == html.count('data-testid="upload-hint"') == 1
    # the measures form: one hint per row, each tied to its input
    replied = make_notice(org, "office", "replied", with_file=False)
    html = client.get(reverse("notice_detail", args=[replied.pk])).content.decode()
    inputs = re.findall(r'<input type="file"[^>]*>', html)
    hints = re.findall(
        r'<div class="form-text" id="([^"]+)" data-testid="upload-hint">(.*?)</div>', html
    )
    assert len(inputs) == len(hints) == 3
    for tag, (hint_id, text) in zip(inputs, hints, strict=True):
        assert f'aria-describedby="{hint_id}"' in tag
        assert _hint_text() in text and "PDF" in text and "3.0\xa0MB" in text


def test_refused_measure_file_keeps_the_typed_text_with_the_message(client, org, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    notice = make_notice(org, "office", "replied", with_file=False)
    client.force_login(org.user(STAFF))
    before = saved_state()
    big = pdf("扫描件.pdf", PDF_BYTES + b"0" * (1024 * 1024))
    data = measures_data(
        notice,
        {"description": "补齐会议记录", "responsible_person": "张三", "planned_date": "2026-06-30"},
        {
            "description": "建立学习台账",
            "responsible_person": "李四",
            "planned_date": "2026-07-15",
            "files": [big],
        },
    )
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    first, second = rows(html)
    (message,) = field_errors(second)
    assert "扫描件.pdf" in message and "1.0 MB" in message
    assert "补齐会议记录</textarea>" in first and "建立学习台账</textarea>" in second
    assert gettext("Files chosen before must be chosen again.") in text_of(html)
    assert saved_state() == before


def test_refused_reply_file_keeps_the_text_on_the_form(client, org):
    notice = make_notice(org, "office", "issued")
    client.force_login(org.user(STAFF))
    before = saved_state()
    fake = SimpleUploadedFile("说明.pdf", ELF, content_type="application/pdf")
    data = {"text": "已按要求整改，见附件。", "files": [fake]}
    data.update(page_fields(notice, "notice_reply"))
    response = client.post(reverse("notice_reply", args=[notice.pk]), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "已按要求整改，见附件。</textarea>" in html
    (message,) = field_errors(html)
    assert "说明.pdf" in message
    assert "请返回" not in html
    assert saved_state() == before


def test_a_bad_row_sent_from_a_page_no_longer_current_is_a_409(client, org):
    # given the community's page shows the measures form, then the measures were sent elsewhere
    notice = make_notice(org, "office", "replied", with_file=False)
    stale = page_fields(notice, "notice_measures")
    services.notice_submit_measures(
        notice_id=notice.pk,
        acting_user=org.user(STAFF),
        measures=[services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 6, 30))],
    )
    client.force_login(org.user(STAFF))
    before = saved_state()
    # when the old page is sent with an incomplete row
    data = measures_data(notice, {"description": "建立学习台账"})
    data.update(stale)
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    # then it is the stale page's 409 (with a link to the case), not the form again
    assert response.status_code == 409
    assert reverse("notice_detail", args=[notice.pk]) in response.content.decode()
    assert saved_state() == before


def test_a_role_that_may_not_submit_measures_gets_403_even_with_a_bad_row(client, org):
    notice = make_notice(org, "office", "replied", with_file=False)
    client.force_login(org.user(OFFICE))
    data = measures_data(notice, {"description": "建立学习台账"})
    response = client.post(reverse("notice_measures", args=[notice.pk]), data)
    assert response.status_code == 403
