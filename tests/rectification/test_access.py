"""Notice views × every role: allowed, 403 or 404 as designed (Art. 11, rectification/policies.py).

- The Office, auditors, the Leading Group and administrators see every notice of the sub-district.
- A department assessor sees the notices its own unit issued (404 for the others).
- A community sees the notices addressed to it once issued, never drafts (404 otherwise).
- Issuer actions: office staff or department assessors of the issuing unit; others who see the
  notice get 403. Reply and measures: the target community's staff or secretary; others 403.
- Auditors change nothing: every POST is 403.
- Nothing of another sub-district or of another community exists for a user (404).
"""

import datetime as dt
import uuid

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from core.models import AuditEvent, Evidence, Role
from rectification import services
from rectification.models import Notice, Reply
from tests.factories import make_member
from tests.rectification.conftest import notice_input, page_fields, pdf

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

OFFICE, DEPT, LEADER = Role.OFFICE_STAFF, Role.DEPT_ASSESSOR, Role.LEADER
AUDITOR, ADMIN = Role.AUDITOR, Role.ADMIN
STAFF, SECRETARY = Role.COMMUNITY_STAFF, Role.COMMUNITY_SECRETARY
ALL = set(Role.values)
COMMUNITY = {STAFF, SECRETARY}

# Who issues for each issuing unit, and who of sub-district A does not even see its notices.
ISSUERS = {"office": {OFFICE}, "dept": {DEPT}}
HIDDEN = {"office": {DEPT}, "dept": set()}

STATES = ["draft", "issued", "replied", "measures_submitted"]


def make_notice(
    org, issuer: str = "office", state: str = "issued", *, with_file: bool = True
) -> Notice:
    """A contact sheet to A's community c01, issued by the Office or the 廉政 department,
    brought to the state through the services (the reply carries one PDF unless told not to)."""
    actor = org.user(OFFICE) if issuer == "office" else org.user(DEPT)
    unit = org.office if issuer == "office" else org.dept_lz
    notice = services.notice_create(
        acting_user=actor,
        data=notice_input(org, issuing_unit_id=unit.pk),
        target_id=org.community.pk,
    )
    steps = STATES[1 : STATES.index(state) + 1]
    staff = org.user(STAFF)
    for step in steps:
        if step == "issued":
            services.notice_issue(notice_id=notice.pk, acting_user=actor)
        elif step == "replied":
            services.notice_reply(
                notice_id=notice.pk,
                acting_user=staff,
                text="已组织整改。",
                files=[pdf()] if with_file else [],
            )
        elif step == "measures_submitted":
            services.notice_submit_measures(
                notice_id=notice.pk,
                acting_user=staff,
                measures=[services.MeasureInput("补齐会议记录", "张三", dt.date(2026, 6, 30))],
            )
    return Notice.objects.get(pk=notice.pk)


def reply_evidence(notice: Notice) -> Evidence:
    reply = notice.replies.get(version=1)
    return Evidence.objects.get(
        subject_type=ContentType.objects.get_for_model(Reply), subject_id=reply.pk
    )


def _notice_form(org, notice):
    return {
        "kind": "contact",
        "issuing_unit": notice.issuing_unit_id,
        "targets": [org.community.pk],
        "subject": "修改后的主题",
        "problem": "修改后的问题",
        "basis": "",
        "reply_due_workdays": "5",
        "measures_due_workdays": "10",
    }


MEASURES = {
    "m-TOTAL_FORMS": "1",
    "m-INITIAL_FORMS": "0",
    "m-MIN_NUM_FORMS": "1",
    "m-MAX_NUM_FORMS": "50",
    "m-0-description": "补齐会议记录",
    "m-0-responsible_person": "张三",
    "m-0-planned_date": "2026-06-30",
}
INTERVIEW = {
    "date": "2026-03-05",
    "place": "街道会议室",
    "attendees": "张三、李四",
    "summary": "已谈话",
}

# (id, url name, state of the notice, method, POST data, who may act, status when allowed)
# "issuer" / "community" / "all" stand for: the issuing unit's issuers, c01's staff and secretary,
# everyone who sees the notice. Users who see the notice but may not act get 403; users who do not
# see it get 404.
OBJECT_VIEWS = [
    ("detail-draft", "notice_detail", "draft", "get", None, "all", 200),
    ("detail-issued", "notice_detail", "issued", "get", None, "all", 200),
    ("detail-verifying", "notice_detail", "measures_submitted", "get", None, "all", 200),
    ("edit-get", "notice_edit", "draft", "get", None, "issuer", 200),
    ("edit-post", "notice_edit", "draft", "post", _notice_form, "issuer", 302),
    ("issue", "notice_issue", "draft", "post", {}, "issuer", 302),
    ("reply", "notice_reply", "issued", "post", {"text": "已整改完毕。"}, "community", 302),
    ("measures", "notice_measures", "replied", "post", MEASURES, "community", 302),
    ("return-reply", "notice_return", "replied", "post", {"reason": "过于简单"}, "issuer", 302),
    (
        "return-measures",
        "notice_return",
        "measures_submitted",
        "post",
        {"reason": "措施不具体"},
        "issuer",
        302,
    ),
    ("verify", "notice_verify", "measures_submitted", "post", {"comment": "同意"}, "issuer", 302),
    (
        "withdraw-draft",
        "notice_withdraw",
        "draft",
        "post",
        {"withdraw-reason": "重复"},
        "issuer",
        302,
    ),
    (
        "withdraw-issued",
        "notice_withdraw",
        "issued",
        "post",
        {"withdraw-reason": "误发"},
        "issuer",
        302,
    ),
    ("escalate", "notice_escalate", "issued", "post", {"reason": "逾期未答复"}, "issuer", 302),
    ("interview", "notice_interview", "issued", "post", INTERVIEW, "issuer", 302),
    ("evidence", "evidence_download", "replied", "get", None, "all", 200),
]
OBJECT_IDS = [v[0] for v in OBJECT_VIEWS]

# (id, url name, method, who may open it, status when allowed); no object involved.
ROLE_VIEWS = [
    ("ledger", "ledger", "get", ALL - COMMUNITY, 200),
    ("ledger_export", "ledger_export", "get", ALL - COMMUNITY, 200),
    ("new-get", "notice_new", "get", {OFFICE, DEPT}, 200),
    ("new-post", "notice_new", "post", {OFFICE, DEPT}, 302),
]
ROLE_IDS = [v[0] for v in ROLE_VIEWS]

# Every named URL of the rectification module plus the evidence download; test_access_matrix
# points here for these names.
COVERED_NAMES = {v[1] for v in OBJECT_VIEWS} | {v[1] for v in ROLE_VIEWS}


def _who(who: str, issuer: str) -> set[str]:
    return {"all": ALL, "issuer": ISSUERS[issuer], "community": COMMUNITY}[who]


def _hidden(issuer: str, state: str) -> set[str]:
    return HIDDEN[issuer] | (COMMUNITY if state == "draft" else set())


def _target(notice, name):
    return reply_evidence(notice).pk if name == "evidence_download" else notice.pk


def _call(client, org, notice, name, method, data):
    url = reverse(name, args=[_target(notice, name)])
    if method == "get":
        response = client.get(url)
    else:
        data = data(org, notice) if callable(data) else data
        data = {**page_fields(notice, name), **data}
        response = client.post(url, data)
    if response.streaming:
        response.close()
    return response


def _audit_count(notice) -> int:
    return AuditEvent.objects.filter(
        subject_type=ContentType.objects.get_for_model(Notice), subject_id=str(notice.pk)
    ).count()


@pytest.mark.parametrize("issuer", ["office", "dept"])
@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("name", "state", "method", "data", "who", "ok"),
    [v[1:] for v in OBJECT_VIEWS],
    ids=OBJECT_IDS,
)
def test_role_against_notice_view(client, org, issuer, role, name, state, method, data, who, ok):
    # given a notice of the issuer in the state, and a member of A holding the role
    notice = make_notice(org, issuer, state)
    events_before = _audit_count(notice)
    client.force_login(org.user(role))
    # when they open the view or post the action
    response = _call(client, org, notice, name, method, data)
    # then they get what the design says
    if role in _hidden(issuer, state):
        expected = 404
    elif role in _who(who, issuer):
        expected = ok
    else:
        expected = 403
    assert response.status_code == expected, response.content[:300]
    # and a POST changes the notice exactly when it was allowed
    if method == "post":
        changed = _audit_count(notice) > events_before
        assert changed == (expected == ok)
        if expected != ok:
            assert Notice.objects.get(pk=notice.pk).state == notice.state


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("name", "method", "allowed", "ok"), [v[1:] for v in ROLE_VIEWS], ids=ROLE_IDS
)
def test_role_against_list_view(client, org, role, name, method, allowed, ok):
    # given a member of A holding the role
    user = org.user(role)
    client.force_login(user)
    url = reverse(name)
    # when they open the page (or save a draft from the new-notice form)
    if method == "get":
        response = client.get(url)
    else:
        unit = org.dept_lz if role == DEPT else org.office
        data = {
            "submission_token": str(uuid.uuid4()),
            "kind": "contact",
            "issuing_unit": unit.pk,
            "targets": [org.community.pk],
            "subject": "新的联系单",
            "problem": "问题",
            "reply_due_workdays": "5",
            "measures_due_workdays": "10",
        }
        response = client.post(url, data)
    # then it is allowed or forbidden as designed
    expected = ok if role in allowed else 403
    assert response.status_code == expected, response.content[:300]
    if method == "post":
        assert Notice.objects.filter(subject="新的联系单").exists() == (expected == ok)


@pytest.mark.parametrize("role", sorted(COMMUNITY))
@pytest.mark.parametrize(
    ("name", "state", "method", "data", "who", "ok"),
    [v[1:] for v in OBJECT_VIEWS],
    ids=OBJECT_IDS,
)
def test_other_community_gets_404(client, org, role, name, state, method, data, who, ok):
    # given a notice to community c01 and a member of community c02 of the same sub-district
    notice = make_notice(org, "office", state)
    events_before = _audit_count(notice)
    client.force_login(make_member(org.community2, role))
    # when they open it or act on it
    response = _call(client, org, notice, name, method, data)
    # then it does not exist for them, and nothing changed
    assert response.status_code == 404
    assert _audit_count(notice) == events_before


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(
    ("name", "state", "method", "data", "who", "ok"),
    [v[1:] for v in OBJECT_VIEWS],
    ids=OBJECT_IDS,
)
def test_other_sub_district_gets_404(
    client, org, other_org, role, name, state, method, data, who, ok
):
    # given a notice of sub-district A and a member of sub-district B
    notice = make_notice(org, "office", state)
    events_before = _audit_count(notice)
    client.force_login(other_org.user(role))
    # when they open it or act on it
    response = _call(client, org, notice, name, method, data)
    # then it does not exist for them, and nothing changed
    assert response.status_code == 404
    assert _audit_count(notice) == events_before


@pytest.mark.parametrize(
    ("name", "state", "method", "data", "who", "ok"),
    [v[1:] for v in OBJECT_VIEWS],
    ids=OBJECT_IDS,
)
def test_anonymous_is_sent_to_login_from_notice_views(
    client, org, name, state, method, data, who, ok
):
    notice = make_notice(org, "office", state)
    events_before = _audit_count(notice)
    response = _call(client, org, notice, name, method, data)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert _audit_count(notice) == events_before


@pytest.mark.parametrize(
    ("name", "method", "allowed", "ok"), [v[1:] for v in ROLE_VIEWS], ids=ROLE_IDS
)
def test_anonymous_is_sent_to_login_from_lists(client, org, name, method, allowed, ok):
    response = getattr(client, method)(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_office_cannot_act_on_a_department_notice_it_sees(client, org):
    # given a notice issued by the 廉政 department
    notice = make_notice(org, "dept", "issued")
    # when office staff (who see every notice) try to withdraw it
    client.force_login(org.user(OFFICE))
    response = client.post(
        reverse("notice_withdraw", args=[notice.pk]),
        {"withdraw-reason": "x", **page_fields(notice, "notice_withdraw")},
    )
    # then only the issuing unit may act on its notice
    assert response.status_code == 403
    assert Notice.objects.get(pk=notice.pk).state == "issued"


def test_new_notice_for_a_unit_the_user_does_not_issue_for_is_refused(client, org):
    # given a department assessor of 廉政
    client.force_login(org.user(DEPT))
    # when they post a new notice in the Office's name
    response = client.post(
        reverse("notice_new"),
        {
            "submission_token": str(uuid.uuid4()),
            "kind": "contact",
            "issuing_unit": org.office.pk,
            "targets": [org.community.pk],
            "subject": "冒名的联系单",
            "problem": "问题",
            "reply_due_workdays": "5",
            "measures_due_workdays": "10",
        },
    )
    # then the form refuses the unit and nothing is saved
    assert response.status_code == 200
    assert "issuing_unit" in response.context["form"].errors
    assert not Notice.objects.filter(subject="冒名的联系单").exists()


@pytest.mark.parametrize("role", sorted(ALL - COMMUNITY))
def test_ledger_lists_only_what_the_user_may_see(client, org, other_org, role):
    # given notices of the Office and of the 廉政 department in A, and one in B
    office_notice = make_notice(org, "office", "issued")
    dept_notice = make_notice(org, "dept", "issued")
    Notice.objects.filter(pk=office_notice.pk).update(subject="办公室的联系单")
    Notice.objects.filter(pk=dept_notice.pk).update(subject="廉政部门的联系单")
    b_office = other_org.user(OFFICE)
    b_notice = services.notice_create(
        acting_user=b_office,
        data=notice_input(other_org, subject="乙街道的联系单"),
        target_id=other_org.community.pk,
    )
    services.notice_issue(notice_id=b_notice.pk, acting_user=b_office)
    client.force_login(org.user(role))
    # when they open the ledger
    body = client.get(reverse("ledger")).content.decode()
    # then they see the notices in their scope and nothing of B
    assert "廉政部门的联系单" in body
    assert ("办公室的联系单" in body) == (role != DEPT)
    assert "乙街道的联系单" not in body


@pytest.mark.parametrize("role", sorted(COMMUNITY))
def test_community_inbox_shows_its_issued_notices_only(client, org, role):
    # given an issued notice to c01, a draft to c01 and an issued notice to c02
    mine = make_notice(org, "office", "issued")
    Notice.objects.filter(pk=mine.pk).update(subject="给本社区的联系单")
    office = org.user(OFFICE)
    services.notice_create(
        acting_user=office,
        data=notice_input(org, subject="尚未签发的草稿"),
        target_id=org.community.pk,
    )
    draft = services.notice_create(
        acting_user=office,
        data=notice_input(org, subject="给二社区的联系单"),
        target_id=org.community2.pk,
    )
    other = services.notice_issue(notice_id=draft.pk, acting_user=office)
    client.force_login(org.user(role))
    # when c01's member opens the inbox
    response = client.get(reverse("inbox"))
    # then only the issued notice to c01 waits there
    body = response.content.decode()
    assert response.status_code == 200
    assert mine.number in body
    assert other.number not in body
    assert "尚未签发的草稿" not in body


def test_draft_withdrawn_before_issue_never_shows_to_the_community(client, org):
    # given a draft to c01 that the Office withdraws before issuing it
    notice = make_notice(org, "office", "draft")
    client.force_login(org.user(OFFICE))
    response = client.post(
        reverse("notice_withdraw", args=[notice.pk]),
        {"withdraw-reason": "重复起草", **page_fields(notice, "notice_withdraw")},
    )
    assert response.status_code == 302
    assert Notice.objects.get(pk=notice.pk).state == "withdrawn"
    # when c01's staff look for it
    client.force_login(org.user(STAFF))
    # then it was never issued to them, so it does not exist for them
    assert client.get(reverse("notice_detail", args=[notice.pk])).status_code == 404


def test_every_view_delegated_here_is_in_these_tables():
    # tests/core/test_access_matrix.py leaves these views to this file: each must be tested here
    from tests.core.test_access_matrix import NOT_IN_MATRIX

    delegated = {
        name for name, why in NOT_IN_MATRIX.items() if "tests/rectification/test_access.py" in why
    }
    assert delegated == COVERED_NAMES
