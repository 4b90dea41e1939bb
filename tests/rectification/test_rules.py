"""Escalation, bulk issue, withdrawal, lights, the ledger and its export, the state diagram."""

import datetime as dt
import uuid
from io import BytesIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from core import workitems
from core.errors import Conflict
from core.models import AuditEvent, Role, WorkItem
from rectification import services
from rectification.models import Notice, NoticeKind, NoticeState
from tests.rectification.conftest import notice_input

pytestmark = pytest.mark.django_db
SH = dt.timezone(dt.timedelta(hours=8))


def _issue(org, target=None, **overrides):
    office = org.user(Role.OFFICE_STAFF)
    draft = services.notice_create(
        acting_user=office,
        data=notice_input(org, **overrides),
        target_id=(target or org.community).pk,
    )
    return services.notice_issue(notice_id=draft.pk, acting_user=office)


# --- escalation ladder (R11.2) -----------------------------------------------------------------


def test_escalation_ladder_contact_to_supervision_to_opinion_with_interview(org):
    office = org.user(Role.OFFICE_STAFF)
    contact = _issue(org)
    # when the Office escalates the contact sheet
    supervision = services.notice_escalate(
        notice_id=contact.pk, acting_user=office, reason="逾期未答复"
    )
    # then the new one is a prefilled, linked draft, waiting in the Office's inbox; the old one
    # stays open, in the community's inbox, until the new one is issued
    contact.refresh_from_db()
    assert contact.state == NoticeState.ISSUED
    assert supervision.kind == NoticeKind.SUPERVISION and supervision.state == NoticeState.DRAFT
    assert supervision.escalated_from == contact
    assert supervision.subject == contact.subject and contact.number in supervision.basis
    assert WorkItem.objects.filter(subject_id=contact.pk, state="open", kind="notice.reply")
    draft_item = WorkItem.objects.get(subject_id=supervision.pk, state="open")
    assert draft_item.kind == "notice.escalation_draft" and draft_item.due_at is not None
    assert draft_item.owner_unit_id == supervision.issuing_unit_id
    # when the draft is issued, the old one is 已升级 and leaves every inbox
    services.notice_issue(notice_id=supervision.pk, acting_user=office)
    contact.refresh_from_db()
    assert contact.state == NoticeState.ESCALATED and contact.close_reason == "逾期未答复"
    assert not WorkItem.objects.filter(subject_id=contact.pk, state="open").exists()
    assert not WorkItem.objects.filter(
        subject_id=supervision.pk, kind="notice.escalation_draft", state="open"
    )
    # and a supervision sheet escalates to an opinion letter with an interview
    opinion = services.notice_escalate(
        notice_id=supervision.pk, acting_user=office, reason="仍未整改"
    )
    assert opinion.kind == NoticeKind.OPINION and opinion.interview_required
    # an opinion letter is the top of the ladder
    services.notice_issue(notice_id=opinion.pk, acting_user=office)
    with pytest.raises(Conflict):
        services.notice_escalate(notice_id=opinion.pk, acting_user=office, reason="再升级")
    assert Notice.objects.get(pk=opinion.pk).state == NoticeState.ISSUED


def test_replied_notice_escalates_only_when_measures_are_overdue(org, monkeypatch):
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    notice = _issue(org)
    services.notice_reply(notice_id=notice.pk, acting_user=staff, text="已答复")
    with pytest.raises(Conflict):
        services.notice_escalate(notice_id=notice.pk, acting_user=office, reason="答复不到位")
    # when the measures deadline has passed
    later = notice.measures_due_at + dt.timedelta(minutes=1)
    from django.utils import timezone

    monkeypatch.setattr(timezone, "now", lambda: later)
    new = services.notice_escalate(notice_id=notice.pk, acting_user=office, reason="逾期未整改")
    assert new.kind == NoticeKind.SUPERVISION and new.escalated_from_id == notice.pk
    # (it becomes 已升级 when the new one is issued: until then it stays as it is)
    assert Notice.objects.get(pk=notice.pk).state == NoticeState.REPLIED


# --- bulk issue --------------------------------------------------------------------------------


def test_bulk_issue_gives_each_community_its_own_numbered_notice(org):
    office = org.user(Role.OFFICE_STAFF)
    notices = services.notice_bulk_issue(
        acting_user=office,
        data=notice_input(org),
        target_ids=[org.community.pk, org.community2.pk],
    )
    assert {n.target_id for n in notices} == {org.community.pk, org.community2.pk}
    assert len({n.number for n in notices}) == 2
    assert all(n.state == NoticeState.ISSUED for n in notices)


def test_bulk_issue_is_all_or_nothing(org, other_org):
    office = org.user(Role.OFFICE_STAFF)
    # given one target that is not a community of this sub-district
    with pytest.raises(ValidationError):
        services.notice_bulk_issue(
            acting_user=office,
            data=notice_input(org),
            target_ids=[org.community.pk, other_org.community.pk],
        )
    # then no notice and no audit row was kept
    assert not Notice.objects.exists()
    assert not AuditEvent.objects.filter(event_type__startswith="notice.").exists()


def test_only_the_office_may_issue_to_several_communities_in_the_form(client, org):
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    response = client.post(
        reverse("notice_new"),
        {
            "submission_token": str(uuid.uuid4()),
            "kind": "contact",
            "issuing_unit": org.dept_lz.pk,
            "targets": [org.community.pk, org.community2.pk],
            "subject": "s",
            "problem": "p",
            "reply_due_workdays": 5,
            "measures_due_workdays": 10,
            "issue": "1",
        },
    )
    assert response.status_code == 200
    assert "只有办公室" in response.content.decode()
    assert not Notice.objects.exists()


# --- withdrawal and interview ------------------------------------------------------------------


def test_withdraw_an_issued_notice_removes_it_from_the_inbox(org):
    office = org.user(Role.OFFICE_STAFF)
    notice = _issue(org)
    services.notice_withdraw(notice_id=notice.pk, acting_user=office, reason="误发")
    notice.refresh_from_db()
    assert notice.state == NoticeState.WITHDRAWN and notice.close_reason == "误发"
    assert not WorkItem.objects.filter(subject_id=notice.pk, state="open").exists()
    with pytest.raises(Conflict):
        services.notice_withdraw(notice_id=notice.pk, acting_user=office, reason="again")


def test_interview_record_is_kept_and_audited(org):
    office = org.user(Role.OFFICE_STAFF)
    notice = _issue(org, kind=NoticeKind.OPINION, interview_required=True)
    services.notice_record_interview(
        notice_id=notice.pk,
        acting_user=office,
        date=dt.date(2026, 3, 5),
        place="街道会议室",
        attendees="书记、办公室主任",
        summary="约谈书记，明确整改要求。",
    )
    notice.refresh_from_db()
    assert notice.interview_place == "街道会议室"
    assert AuditEvent.objects.get(event_type="notice.interview").after["interview_summary"]


# --- lights ------------------------------------------------------------------------------------


def test_lights_follow_working_days_left():
    # given Thursday 2026-03-05 10:00 in Shanghai
    now = dt.datetime(2026, 3, 5, 10, 0, tzinfo=SH)
    t = workitems.light_thresholds(now)
    # 3 working days ahead is Tuesday 03-10: due then or earlier is 临期 (yellow)
    assert t.due_soon_until == dt.datetime(2026, 3, 10, 23, 59, 59, tzinfo=SH)
    assert workitems.light_of(dt.datetime(2026, 3, 10, 23, 59, 59, tzinfo=SH), t) == "yellow"
    assert workitems.light_of(dt.datetime(2026, 3, 11, 23, 59, 59, tzinfo=SH), t) == "green"
    assert workitems.light_of(dt.datetime(2026, 3, 5, 9, 59, tzinfo=SH), t) == "red"
    assert workitems.light_of(None, t) == "none"


# --- ledger and export -------------------------------------------------------------------------


def test_ledger_filters_search_and_exports_exactly_the_filtered_rows(client, org):
    _issue(org, subject="党费收缴不规范")
    _issue(org, target=org.community2, subject="宣传栏未更新", kind=NoticeKind.SUPERVISION)
    client.force_login(org.user(Role.OFFICE_STAFF))
    # search by subject
    page = client.get(reverse("ledger"), {"q": "党费"}).context["page_obj"]
    assert [n["subject"] for n in page] == ["党费收缴不规范"]
    # filter by kind and community
    page = client.get(reverse("ledger"), {"kind": "supervision"}).context["page_obj"]
    assert [n["subject"] for n in page] == ["宣传栏未更新"]
    page = client.get(reverse("ledger"), {"target": org.community.pk}).context["page_obj"]
    assert [n["subject"] for n in page] == ["党费收缴不规范"]
    # search by number
    number = Notice.objects.get(subject="宣传栏未更新").number
    assert [
        n["number"] for n in client.get(reverse("ledger"), {"q": number}).context["page_obj"]
    ] == [number]
    # export the filtered rows only, Chinese headers, local times
    response = client.get(reverse("ledger_export"), {"q": "党费"})
    assert response["Content-Disposition"].startswith("attachment;")
    sheet = load_workbook(BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("编号", "类型", "状态")
    assert len(rows) == 2 and rows[1][6] == "党费收缴不规范"
    notice = Notice.objects.get(subject="党费收缴不规范")
    local_issued = notice.issued_at.astimezone(SH).strftime("%Y-%m-%d %H:%M")
    assert rows[1][7] == local_issued


def test_department_ledger_shows_only_its_own_notices(client, org):
    _issue(org, subject="办公室发的")
    dept = org.user(Role.DEPT_ASSESSOR)
    draft = services.notice_create(
        acting_user=dept,
        data=notice_input(org, issuing_unit_id=org.dept_lz.pk, subject="纪检发的"),
        target_id=org.community.pk,
    )
    services.notice_issue(notice_id=draft.pk, acting_user=dept)
    client.force_login(dept)
    assert [n["subject"] for n in client.get(reverse("ledger")).context["page_obj"]] == ["纪检发的"]


def test_ledger_light_filter(client, org):
    overdue = _issue(org, subject="逾期的")
    _issue(org, subject="正常的")
    Notice.objects.filter(pk=overdue.pk).update(
        current_due_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    )
    client.force_login(org.user(Role.AUDITOR))
    page = client.get(reverse("ledger"), {"light": "red"}).context["page_obj"]
    assert [n["subject"] for n in page] == ["逾期的"]


# --- the case page -----------------------------------------------------------------------------


def test_case_page_shows_the_timeline_with_return_reasons(client, org, issued):
    office, staff = org.user(Role.OFFICE_STAFF), org.user(Role.COMMUNITY_STAFF)
    services.notice_reply(notice_id=issued.pk, acting_user=staff, text="第一次答复")
    services.notice_return(notice_id=issued.pk, acting_user=office, reason="请补充时间表")
    client.force_login(org.user(Role.AUDITOR))
    body = client.get(reverse("notice_detail", args=[issued.pk])).content.decode()
    assert (
        body.index("notice.issue") < body.index("notice.reply") < body.index("notice.return_reply")
    )
    assert "请补充时间表" in body and "第一次答复" in body
    assert "已签发" in body  # the state after the return


def test_state_diagram_in_docs_is_generated_from_the_code():
    call_command("notice_state_diagram", "--check")


def test_case_page_lists_attachments_with_size_and_hash(client, org, issued):
    import hashlib

    from tests.rectification.conftest import PDF_BYTES, pdf

    staff = org.user(Role.COMMUNITY_STAFF)
    services.notice_reply(
        notice_id=issued.pk, acting_user=staff, text="见附件", files=[pdf("整改说明.pdf")]
    )
    services.notice_submit_measures(
        notice_id=issued.pk,
        acting_user=staff,
        measures=[
            services.MeasureInput("补记录", "张三", dt.date(2026, 12, 31), [pdf("记录.pdf")])
        ],
    )
    client.force_login(org.user(Role.AUDITOR))
    response = client.get(reverse("notice_detail", args=[issued.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "整改说明.pdf" in body and "记录.pdf" in body
    assert hashlib.sha256(PDF_BYTES).hexdigest() in body
