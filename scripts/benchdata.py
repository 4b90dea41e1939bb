"""Shared by the benchmarks (`make bench`): the scale knob, where the figures go, a throw-away
PostgreSQL database and a sub-district with 300 communities and 100,000 issued or replied notices
with their open work items, loaded with bulk inserts (the per-notice services would take too
long) and the product's set-based work-item opener.

BENCH_SCALE scales every benchmark's data and repetitions: unset or `full` (1.0) for the figures
of record, `small` (0.01: a few seconds each; what CI runs so that no benchmark rots unseen), or
any positive number. Figures at a scale other than 1 go to var/bench/scale-<scale>/, never over
the figures of record in var/bench/.
"""

from __future__ import annotations

import datetime as dt
import os
import random
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NAMED_SCALES = {"full": 1.0, "normal": 1.0, "small": 0.01}


def scale() -> float:
    """BENCH_SCALE as a factor (1.0 when unset)."""
    raw = os.environ.get("BENCH_SCALE", "").strip().lower() or "full"
    try:
        value = NAMED_SCALES[raw] if raw in NAMED_SCALES else float(raw)
    except ValueError:
        raise SystemExit(f"BENCH_SCALE={raw!r}: give small, full or a positive number") from None
    if not 0 < value <= 10:
        raise SystemExit(f"BENCH_SCALE={raw!r}: give a number above 0 and at most 10")
    return value


def scaled(n: int, minimum: int = 1) -> int:
    """`n` (a size or a number of repetitions at full scale) at BENCH_SCALE, at least `minimum`."""
    return max(minimum, round(n * scale()))


def out_dir() -> Path:
    """var/bench/ at full scale; var/bench/scale-<scale>/ otherwise."""
    factor = scale()
    base = ROOT / "var" / "bench"
    path = base if factor == 1.0 else base / f"scale-{factor:g}"
    path.mkdir(parents=True, exist_ok=True)
    return path


SUBJECTS = [
    "三会一课记录不全",
    "主题党日活动未按月开展",
    "党费收缴台账不规范",
    "发展党员程序材料缺失",
    "意识形态工作责任制落实不到位",
    "党风廉政建设责任清单未更新",
    "组织生活会整改措施未落实",
    "党员教育管理台账缺项",
]


@contextmanager
def throwaway_database(suffix: str):
    """Create `test_<name>_<suffix>` on PostgreSQL, switch to it, drop it afterwards."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        raise SystemExit(f"the {suffix} benchmark needs PostgreSQL, not {connection.vendor}")
    name = settings.DATABASES["default"]["NAME"]
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"test_{name}_{suffix}"
    old_name = connection.creation.create_test_db(
        verbosity=0, autoclobber=True, serialize=False, keepdb=False
    )
    try:
        yield connection.settings_dict["NAME"]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def create_org(communities: int) -> dict:
    """One sub-district, its Office with one user, and the communities (no people yet)."""
    from django.db import transaction

    from core.models import Role, RoleAssignment, SubDistrict, Unit, UnitKind, User

    with transaction.atomic():
        sd = SubDistrict.objects.create(name="基准街道", code="bench")
        office = Unit.objects.create(
            sub_district=sd, kind=UnitKind.OFFICE, name="党建工作领导小组办公室", code="office"
        )
        units = Unit.objects.bulk_create(
            [
                Unit(
                    sub_district=sd,
                    kind=UnitKind.COMMUNITY,
                    name=f"第{i:03d}社区党委",
                    code=f"c{i:03d}",
                    sort_order=i,
                )
                for i in range(1, communities + 1)
            ]
        )
        office_user = User.objects.create_user(
            "bench-office", password="bench-pass-12345", sub_district=sd, display_name="办公室"
        )
        RoleAssignment.objects.create(user=office_user, unit=office, role=Role.OFFICE_STAFF)
    return {"sub_district": sd, "office": office, "communities": units, "office_user": office_user}


def load_notices(rng: random.Random, org: dict, count: int, due_minutes: tuple[int, int]) -> list:
    """`count` issued (60 %) or replied notices spread over the communities, each with the open
    work item the community works to; the current deadline lies `due_minutes` (a range, relative
    to now) away. Returns the notices."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.db.models import Case, CharField, F, Value, When
    from django.db.models.functions import Cast, Concat
    from django.urls import reverse
    from django.utils import timezone

    from core import workitems
    from rectification.kinds import WI_MEASURES, WI_REPLY
    from rectification.models import NUMBER_MARK, Notice, NoticeCounter, NoticeKind, NoticeState

    sd, office, office_user = org["sub_district"], org["office"], org["office_user"]
    communities = org["communities"]
    now = timezone.now()
    day = dt.timedelta(days=1)
    kinds = [NoticeKind.CONTACT] * 16 + [NoticeKind.SUPERVISION] * 3 + [NoticeKind.OPINION]
    counters: dict[tuple[int, str], int] = {}
    notices = []
    for i in range(count):
        kind = rng.choice(kinds)
        state = NoticeState.ISSUED if rng.random() < 0.6 else NoticeState.REPLIED
        current_due = now + dt.timedelta(minutes=rng.randint(*due_minutes))
        if state == NoticeState.ISSUED:
            reply_due, measures_due = current_due, current_due + 10 * day
        else:
            reply_due, measures_due = current_due - 10 * day, current_due
        issued_at = min(reply_due - 5 * day, now - dt.timedelta(hours=1))
        issued_at -= dt.timedelta(minutes=rng.randint(0, 500 * 1440))
        year = timezone.localtime(issued_at).year
        seq = counters[(year, kind)] = counters.get((year, kind), 0) + 1
        notices.append(
            Notice(
                sub_district=sd,
                kind=kind,
                number=f"{year}-{NUMBER_MARK[kind]}-{seq:03d}",
                state=state,
                issuing_unit=office,
                target=communities[i % len(communities)],
                created_by=office_user,
                issued_by=office_user,
                subject=f"{rng.choice(SUBJECTS)}（{i}）",
                problem="检查发现：" + rng.choice(SUBJECTS) + "。" * 5,
                basis="细则第十一条",
                reply_due_workdays=5,
                measures_due_workdays=15,
                reply_due_at=reply_due,
                measures_due_at=measures_due,
                current_due_at=current_due,
                issued_at=issued_at,
            )
        )
    kind_names = dict(NoticeKind.choices)
    with transaction.atomic():
        Notice.objects.bulk_create(notices, batch_size=5000)
        NoticeCounter.objects.bulk_create(
            [
                NoticeCounter(sub_district=sd, year=year, kind=kind, last=last)
                for (year, kind), last in counters.items()
            ]
        )
        # The open work item each notice's community works to, through the product's set-based
        # opener, titled as rectification.services titles it ("<kind> <number> <subject>").
        url_prefix = reverse("notice_detail", args=[0]).removesuffix("0/")
        loaded = Notice.objects.filter(sub_district=sd)
        for item_kind, state in (
            (WI_REPLY, NoticeState.ISSUED),
            (WI_MEASURES, NoticeState.REPLIED),
        ):
            workitems.open_items_from(
                loaded.filter(state=state),
                kind=item_kind,
                subject_type=ContentType.objects.get_for_model(Notice),
                columns={
                    "subject_id": F("pk"),
                    "owner_unit": F("target_id"),
                    "sub_district": F("sub_district_id"),
                    "title": Concat(
                        Case(
                            *(When(kind=k, then=Value(str(v))) for k, v in kind_names.items()),
                            output_field=CharField(),
                        ),
                        Value(" "),
                        F("number"),
                        Value(" "),
                        F("subject"),
                        output_field=CharField(),
                    ),
                    "reference": F("number"),
                    "url": Concat(
                        Value(url_prefix),
                        Cast("pk", CharField()),
                        Value("/"),
                        output_field=CharField(),
                    ),
                    "due_at": F("current_due_at"),
                },
            )
    return notices
