#!/usr/bin/env python
"""`make bench` (fifth part): the year-end process at city scale, on PostgreSQL; writes
var/bench/yearend.json.

1. The written results (Art. 16): for the city-sized year of the scoring benchmark (3,000
   communities, 60 monthly indicators; bench_scoring.load_year / load_units), every feedback
   letter (docx and PDF) and the bulletin (docx, PDF, xlsx), as the publication job makes them
   (appraisal.documents.build.year_documents): the time, letters per second, the peak memory
   (the resident set's high-water mark and its growth), the bytes, and the queries — in total and
   per letter, at half and at full size, to show they do not grow with the letters.
2. The 待办 with 100,000 open viewflow tasks of the year-end process among the notices' work
   items (100,000 notices, 300 communities, as the notices benchmark): the inbox of one community
   against the bare view of the notices benchmark (the same rows from one query, minimal HTML):
   the floor.

Uses DATABASE_URL when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/dangjian_bench,
in throw-away databases `test_<name>_yearend…` (created and dropped here). Wall-clock figures:
compare runs on the same machine only.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
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
UNITS = int(os.environ.get("BENCH_YEAREND_UNITS", 0)) or benchdata.scaled(3000, 10)
TASKS = benchdata.scaled(100_000, 200)
NOTICES = benchdata.scaled(100_000, 200)
COMMUNITIES = benchdata.scaled(300, 10)
SEED = 20261201
MB = 1024 * 1024


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def documents(formats=("docx", "pdf")) -> dict:
    """Generate every document of the year once; figures of that run. formats=() builds every
    letter's content without rendering it: the same queries, in seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from appraisal.documents.build import year_documents
    from appraisal.models import AssessmentYear

    year = AssessmentYear.objects.get(year=bench_scoring.YEAR)
    # Peak memory as the resident set's high-water mark: tracemalloc would slow fontTools'
    # allocation-heavy font subsetting several times over and distort the time.
    rss_before = _rss_mb()
    started = time.perf_counter()
    made: dict[str, int] = {}
    sizes: dict[str, int] = {}
    with CaptureQueriesContext(connection) as captured:
        for filename, content in year_documents(year=year, draft=True, formats=formats):
            ext = filename.rsplit(".", 1)[1]
            key = f"bulletin.{ext}" if filename.startswith("bulletin") else f"letter.{ext}"
            made[key] = made.get(key, 0) + 1
            sizes[key] = sizes.get(key, 0) + len(content)
    seconds = time.perf_counter() - started
    letters = made.get("letter.docx", 0) or year_units(year)
    return {
        "letters": letters,
        "documents": made,
        "seconds": round(seconds, 2),
        "letters_per_second": round(letters / seconds, 2) if seconds else None,
        "seconds_per_letter_docx_and_pdf": round(seconds / letters, 4) if letters else None,
        "queries_total": len(captured.captured_queries),
        "queries_per_letter": round(len(captured.captured_queries) / letters, 4)
        if letters
        else None,
        "peak_rss_mb": round(_rss_mb(), 1),
        "rss_growth_mb": round(_rss_mb() - rss_before, 1),
        "mean_bytes": {k: sizes[k] // made[k] for k in made},
    }


def year_units(year) -> int:
    from appraisal.models import AssessedUnit

    return AssessedUnit.objects.filter(year=year).count()


def part_documents(results: dict) -> None:
    from django.db import connection

    rng = random.Random(SEED)
    with benchdata.throwaway_database("yearend_docs"):
        org = benchdata.create_org(UNITS)
        year, categories = bench_scoring.load_year(org)
        half = UNITS // 2
        bench_scoring.load_units(rng, year, categories, org["communities"][:half], seed=0.1)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        at_half = documents(formats=())  # the queries at half size (rendering reads nothing)
        bench_scoring.load_units(rng, year, categories, org["communities"][half:], seed=0.2)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        at_full = documents()
    results["documents"] = {"units": [half, UNITS], "half": at_half, "full": at_full}
    results["documents"]["queries_constant"] = at_half["queries_total"] == at_full["queries_total"]
    results["documents"]["note"] = (
        "half: the queries of building every letter and the bulletin at half size, without "
        "rendering; full: every letter as docx and PDF and the bulletin as docx, PDF and xlsx, "
        "in one process, as the publication job makes them"
    )
    print(
        f"documents: {at_full['letters']} letters in {at_full['seconds']} s "
        f"({at_full['letters_per_second']}/s), {at_full['queries_total']} queries "
        f"(half: {at_half['queries_total']}), peak RSS {at_full['peak_rss_mb']} MB",
        file=sys.stderr,
    )


def load_tasks(org: dict, community_user_unit) -> int:
    """TASKS open human tasks of year-end processes, with their work items, spread over the
    communities (one process per 1,000 tasks; bulk inserts, as the notices' loader does)."""
    from django.contrib.contenttypes.models import ContentType
    from django.db import transaction
    from django.utils import timezone
    from viewflow.workflow.models import Task
    from viewflow.workflow.token import Token

    from core.models import WorkItem
    from workflows.flows.year_end import YearEndFlow
    from workflows.kinds import WI_SELFEVAL
    from workflows.models import YearEndProcess

    now = timezone.now()
    task_type = ContentType.objects.get_for_model(Task)
    communities = org["communities"]
    made = 0
    with transaction.atomic():
        while made < TASKS:
            process = YearEndProcess.objects.create(flow_class=YearEndFlow, status="NEW")
            batch = min(1000, TASKS - made)
            tasks = Task.objects.bulk_create(
                Task(
                    process=process,
                    flow_task=YearEndFlow.self_evaluate,
                    flow_task_type="HUMAN",
                    status="NEW",
                    token=Token("start/1"),
                    data={},
                )
                for _ in range(batch)
            )
            WorkItem.objects.bulk_create(
                WorkItem(
                    kind=WI_SELFEVAL,
                    subject_type=task_type,
                    subject_id=task.pk,
                    owner_unit=communities[(made + i) % len(communities)],
                    sub_district=org["sub_district"],
                    title=f"2026年度自查自评：{communities[(made + i) % len(communities)].name}",
                    url="/appraisal/2026/self-evaluation/",
                    due_at=now + timezone.timedelta(minutes=(made + i) % 40_000 - 10_000),
                )
                for i, task in enumerate(tasks)
            )
            made += batch
    return made


def part_inbox(results: dict) -> None:
    from django.db import connection
    from django.test import Client, override_settings
    from django.urls import reverse

    from core.models import Unit, WorkItem

    with benchdata.throwaway_database("yearend_inbox"):
        data = bench_notices.load(random.Random(SEED))
        org = {
            "sub_district": data["sub_district"],
            "communities": list(
                Unit.objects.filter(sub_district=data["sub_district"], kind="community").order_by(
                    "sort_order"
                )
            ),
        }
        tasks = load_tasks(org, data["community"])
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
        counts = {
            "open_work_items": WorkItem.objects.filter(state="open").count(),
            "open_viewflow_tasks": tasks,
            "inbox_items_of_the_community_user": WorkItem.objects.filter(
                owner_unit=data["community"], state="open"
            ).count(),
        }
        with override_settings(ROOT_URLCONF=bench_notices._bench_urlconf()):
            community = Client()
            community.force_login(data["community_user"])
            pages = {
                "inbox": (community, reverse("inbox")),
                "inbox_bare": (community, "/bench/inbox/"),
            }
            medians = bench_notices.measure(pages)
            queries = {
                name: bench_notices.queries(c, url)["count"] for name, (c, url) in pages.items()
            }
    results["inbox"] = {
        "counts": counts,
        "medians": medians,
        "ratio_inbox_to_bare": round(
            medians["inbox"]["median_ms"] / medians["inbox_bare"]["median_ms"], 2
        ),
        "queries": queries,
    }
    print(
        f"inbox with {tasks} viewflow tasks among {counts['open_work_items']} items: "
        f"{medians['inbox']['median_ms']} ms (bare {medians['inbox_bare']['median_ms']} ms)",
        file=sys.stderr,
    )


def main() -> None:
    import django

    django.setup()
    global bench_notices, bench_scoring
    import bench_notices
    import bench_scoring
    from django.db import connection

    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "scale": benchdata.scale(),
    }
    part_documents(results)
    part_inbox(results)
    path = OUT / "yearend.json"
    path.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}", file=sys.stderr)


bench_notices = bench_scoring = None

if __name__ == "__main__":
    main()
