"""Demo notices for `seed_demo`: a few cases in different states, made through the services."""

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils import timezone

from core.models import Unit, User

from . import services
from .models import Notice, NoticeKind

CASES = [
    # (community code, kind, subject, problem, how far to take it)
    (
        "c02",
        NoticeKind.CONTACT,
        "第三季度“三会一课”记录不全",
        "检查发现第三季度支部委员会会议记录缺失两次，党员大会记录未签名。",
        "issued",
    ),
    (
        "c03",
        NoticeKind.CONTACT,
        "党费收缴台账未按月更新",
        "9月、10月党费收缴台账未更新，与实际收缴金额不符。",
        "replied",
    ),
    (
        "c04",
        NoticeKind.SUPERVISION,
        "意识形态阵地管理不到位",
        "社区宣传栏内容超过三个月未更新，未落实审核把关制度。",
        "measures",
    ),
]


def seed_notices(sub_district) -> int:
    """Idempotent: does nothing once the sub-district has notices."""
    if Notice.objects.filter(sub_district=sub_district).exists():
        return 0
    office = User.objects.get(username="office")
    office_unit = Unit.objects.get(sub_district=sub_district, code="office")
    created = 0
    for code, kind, subject, problem, stage in CASES:
        target = Unit.objects.get(sub_district=sub_district, code=code)
        data = services.NoticeInput(
            kind=kind,
            issuing_unit_id=office_unit.pk,
            subject=subject,
            problem=problem,
            basis="《XX街道社区党委落实党建工作责任考核细则》第十一条",
            reply_due=services.Deadline(workdays=5),
            measures_due=services.Deadline(workdays=15),
        )
        try:
            draft = services.notice_create(acting_user=office, data=data, target_id=target.pk)
            notice = services.notice_issue(notice_id=draft.pk, acting_user=office)
        except ValidationError:
            # The working-day calendar lacks next year: fall back to calendar dates.
            today = timezone.localdate()
            data.reply_due = services.Deadline(date=today + dt.timedelta(days=7))
            data.measures_due = services.Deadline(date=today + dt.timedelta(days=21))
            draft = services.notice_create(acting_user=office, data=data, target_id=target.pk)
            notice = services.notice_issue(notice_id=draft.pk, acting_user=office)
        created += 1
        staff = User.objects.get(username=code)
        if stage in ("replied", "measures"):
            services.notice_reply(
                notice_id=notice.pk,
                acting_user=staff,
                text="已召开支委会专题研究，正在逐项整改，详见整改措施。",
            )
        if stage == "measures":
            services.notice_submit_measures(
                notice_id=notice.pk,
                acting_user=staff,
                measures=[
                    services.MeasureInput(
                        "更新宣传栏内容并建立月度更新制度",
                        "社区宣传委员",
                        timezone.localdate() + dt.timedelta(days=14),
                    ),
                    services.MeasureInput(
                        "落实“三审三校”审核把关",
                        "社区党委书记",
                        timezone.localdate() + dt.timedelta(days=30),
                    ),
                ],
            )
    return created
