#!/usr/bin/env python
"""`make bench` (sixth part): next year's rectification plans (Art. 20) at district scale, on
PostgreSQL; writes var/bench/plans.json.

1. Starting the plans as the publication does (rectification.plans.creation.plan_create and the
   plan process, workflows.flows.plan) for 300 communities with 10 fed-back problems each: the
   time and queries per plan (the appraisal's facts, read once per year, are not counted).
2. A year of tracking: every plan accepted with 3 milestones per item (9,000 milestone work
   items in the communities' 待办, loaded in bulk), a third of the items closed, progress
   updates on the rest; then the pages: the Office's plan ledger (整改台账, first page and a
   filtered one), its xlsx export, one plan's page, one item's page, and the community's 待办 —
   median times and query counts.

Uses DATABASE_URL when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/dangjian_bench,
in a throw-away database `test_<name>_plans` (created and dropped here). Wall-clock figures:
compare runs on the same machine only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench"
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    os.environ["DATABASE_URL"] = DEFAULT_URL

import benchdata  # noqa: E402 (scripts/, after the path and settings above)

OUT = benchdata.out_dir()
COMMUNITIES = benchdata.scaled(300, 5)
ITEMS = 10
MILESTONES = 3
YEAR = 2026


def _org():
    from django.db import transaction

    from core.models import Role, RoleAssignment, Unit, UnitKind, User

    org = benchdata.create_org(COMMUNITIES)
    sd = org["sub_district"]
    with transaction.atomic():
        org["leading_group"] = Unit.objects.create(
            sub_district=sd, kind=UnitKind.LEADING_GROUP, name="党建工作领导小组", code="ldxz"
        )
        org["departments"] = [
            Unit.objects.create(
                sub_district=sd, kind=UnitKind.DEPARTMENT, name=name, code=code, line=code
            )
            for code, name in (("lz", "纪检监察室"), ("zz", "党建办"), ("xc", "宣传条线"))
        ]
        community = org["communities"][0]
        user = User.objects.create_user(
            "bench-c001", password="bench-pass-12345", sub_district=sd, display_name="社区书记"
        )
        RoleAssignment.objects.create(user=user, unit=community, role=Role.COMMUNITY_SECRETARY)
        org["community_user"] = user
    return org


def _problems(org) -> list:
    from rectification.models import PlanItemSource
    from rectification.plans.creation import ProblemInput

    kinds = [PlanItemSource.OPINION, PlanItemSource.REPORT, PlanItemSource.TEAM]
    return [
        ProblemInput(
            source_kind=kinds[i % 3],
            problem=f"【第{i % 3 + 1}大项·{i % 3 + 1}.{i + 1}】{benchdata.SUBJECTS[i % 8]}。",
            source_ref=f"appraisal.year:1:{kinds[i % 3]}:{i % 3 + 1}:{i % 3 + 1}.{i + 1}:",
            category_code=str(i % 3 + 1),
            category_name=f"第{i % 3 + 1}大项",
            indicator_code=f"{i % 3 + 1}.{i + 1}",
            indicator_name=benchdata.SUBJECTS[i % 8],
            department_id=org["departments"][i % 3].pk,
        )
        for i in range(ITEMS)
    ]


def part_start(results: dict, org) -> None:
    """What the publication does per community: the plan, its items, its process."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from rectification.plans.creation import plan_create
    from workflows.flows.plan import PlanFlow

    problems = _problems(org)
    due = timezone.now() + dt.timedelta(days=30)
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as captured, transaction.atomic():
        for unit in org["communities"]:
            plan = plan_create(
                sub_district_id=org["sub_district"].pk,
                unit_id=unit.pk,
                year=YEAR,
                source="appraisal.year:1",
                letter_url="",
                due_at=due,
                problems=problems,
                job="bench",
            )
            PlanFlow.start.run(plan=plan)
    seconds = time.perf_counter() - started
    results["start"] = {
        "plans": COMMUNITIES,
        "items_per_plan": ITEMS,
        "seconds": round(seconds, 2),
        "ms_per_plan": round(1000 * seconds / COMMUNITIES, 1),
        "queries_per_plan": round(len(captured.captured_queries) / COMMUNITIES, 1),
    }
    print(
        f"plans: {COMMUNITIES} started in {seconds:.2f} s "
        f"({results['start']['ms_per_plan']} ms, {results['start']['queries_per_plan']} "
        "queries per plan)",
        file=sys.stderr,
    )


def _carry_out(org) -> dict:
    """Every plan accepted, 3 milestones per item in the communities' 待办 (bulk), a third of
    the items closed, a progress update on each of the others; the milestones of every fourth
    plan are past due. Returns the ids the pages open."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.urls import reverse
    from django.utils import timezone

    from core import workdays, workitems
    from rectification.models import (
        Milestone,
        PlanItem,
        PlanItemState,
        PlanState,
        ProgressUpdate,
        RectificationPlan,
    )
    from rectification.plans.kinds import WI_MILESTONE

    today = timezone.localdate()
    now = timezone.now()
    user = org["community_user"]
    with transaction.atomic():
        RectificationPlan.objects.update(state=PlanState.ACCEPTED, accepted_at=now)
        PlanItem.objects.update(
            state=PlanItemState.IN_PROGRESS, goal="整改到位", measures="完善台账，按月检查。"
        )
        items = list(PlanItem.objects.select_related("plan").order_by("plan__unit__code", "pk"))
        milestones = []
        for n, item in enumerate(items):
            overdue = (n // ITEMS) % 4 == 0
            for k in range(MILESTONES):
                day = today + dt.timedelta(days=(-10 if overdue else 30) + 60 * k)
                milestones.append(
                    Milestone(
                        item=item,
                        position=k + 1,
                        title=f"第{k + 1}阶段",
                        due_date=day,
                        due_at=workdays.end_of_day(day),
                        planned_date=day,
                    )
                )
        Milestone.objects.bulk_create(milestones, batch_size=2000)
        ct = ContentType.objects.get_for_model(Milestone)
        url = reverse("plan_item", args=[0]).removesuffix("0/")
        workitems.open_items(
            workitems.NewItem(
                kind=WI_MILESTONE,
                subject_type=ct,
                subject_id=m.pk,
                owner_unit_id=m.item.plan.unit_id,
                sub_district_id=org["sub_district"].pk,
                title=f"整改节点：{m.title}",
                url=f"{url}{m.item_id}/#milestone-{m.pk}",
                due_at=m.due_at,
            )
            for m in milestones
        )
        closed = [i.pk for n, i in enumerate(items) if n % 3 == 0]
        PlanItem.objects.filter(pk__in=closed).update(state=PlanItemState.CLOSED, verified_at=now)
        ProgressUpdate.objects.bulk_create(
            [
                ProgressUpdate(
                    item=i, progress="已完成第一阶段。", submitted_by=user, submitted_at=now
                )
                for n, i in enumerate(items)
                if n % 3
            ],
            batch_size=2000,
        )
    first_plan = RectificationPlan.objects.get(unit=org["communities"][0])
    return {
        "plan": first_plan.pk,
        "item": first_plan.items.order_by("position").values_list("pk", flat=True)[1],
        "milestones": len(milestones),
        "items": len(items),
    }


def part_pages(results: dict, org) -> None:
    import bench_notices
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    ids = _carry_out(org)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    office, community = Client(), Client()
    office.force_login(org["office_user"])
    community.force_login(org["community_user"])
    pages = {
        "ledger": (office, reverse("plan_ledger")),
        "ledger_overdue": (office, reverse("plan_ledger") + "?overdue=on&state=in_progress"),
        "ledger_export": (office, reverse("plan_ledger_export")),
        "plan": (office, reverse("plan_detail", args=[ids["plan"]])),
        "item": (office, reverse("plan_item", args=[ids["item"]])),
        "community_inbox": (community, reverse("inbox")),
    }
    medians = bench_notices.measure(pages)
    queries = {name: bench_notices.queries(c, url)["count"] for name, (c, url) in pages.items()}
    results["pages"] = {
        "plans": COMMUNITIES,
        "items": ids["items"],
        "milestone_work_items": ids["milestones"],
        "medians": medians,
        "queries": queries,
    }
    print(
        "pages: "
        + ", ".join(f"{n} {m['median_ms']} ms / {queries[n]} q" for n, m in medians.items()),
        file=sys.stderr,
    )


def main() -> None:
    import django

    django.setup()
    from django.db import connection

    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "scale": benchdata.scale(),
    }
    with benchdata.throwaway_database("plans"):
        org = _org()
        part_start(results, org)
        part_pages(results, org)
    path = OUT / "plans.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
