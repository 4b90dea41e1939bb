#!/usr/bin/env python
"""`make bench` (second part): the notice pages at scale, on PostgreSQL; writes
var/bench/notices.json.

Loads 100,000 issued/replied notices over 300 communities of one sub-district (bulk inserts with
their open work items, not the per-notice services; no reply rows, which neither page reads), then
times through django.test.Client, with the whole middleware stack and a logged-in session:

- the inbox (待办) of one community user (its ~333 open items; the page shows 100),
- the ledger (台账) of the Office (first page of 50, default sort),
- a bare view for each that returns the same rows from one query as minimal HTML (no template,
  no count, no lights, no role checks), behind the same middleware: the floor to compare with.

Reports the median of 30 requests each (round-robin), the ratios page/bare, the queries of each
page and the database time inside it, a breakdown of each page (view, template, rows, filter form,
queries, what lies outside the view), EXPLAIN ANALYZE of the main queries with a check of the
index each should use, and the functions with the most self time in a cProfile run.

Uses DATABASE_URL when it names PostgreSQL, else postgres://postgres@127.0.0.1:5432/dangjian_bench,
in a throw-away database `test_<name>_notices` (created and dropped here, so it never clobbers the
test suite's `test_<name>`). Wall-clock figures: compare runs on the same machine only.
"""

from __future__ import annotations

import cProfile
import inspect
import json
import os
import platform
import pstats
import random
import re
import statistics
import sys
import time
import types
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/dangjian_bench"
if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
    os.environ["DATABASE_URL"] = DEFAULT_URL

import benchdata  # noqa: E402 (scripts/, after the path and settings above)

OUT = benchdata.out_dir()
NOTICES = benchdata.scaled(100_000, 200)
COMMUNITIES = benchdata.scaled(300, 10)
RUNS = benchdata.scaled(30, 3)
WARMUP = benchdata.scaled(5, 1)
PROFILE_RUNS = benchdata.scaled(10, 2)
SEED = 20260302


# --- the bare views: the same rows from one query, minimal HTML ---------------------------------


def bare_ledger(request):
    from django.http import HttpResponse
    from django.utils.html import escape

    from rectification.models import Notice, NoticeKind, NoticeState

    rows = Notice.objects.filter(sub_district_id=request.user.sub_district_id).order_by(
        "-issued_at", "-id"
    )[:50]
    rows = rows.values_list(
        "pk",
        "number",
        "kind",
        "subject",
        "target__name",
        "target__short_name",
        "issuing_unit__name",
        "issuing_unit__short_name",
        "state",
        "current_due_at",
    )
    kinds, states = dict(NoticeKind.choices), dict(NoticeState.choices)
    out = ["<table>"]
    for pk, number, kind, subject, t_name, t_short, i_name, i_short, state, due in rows:
        out.append(
            f'<tr data-pk="{pk}"><td><a href="/notices/{pk}/">{escape(number)}</a></td>'
            f"<td>{escape(kinds[kind])}</td><td>{escape(subject)}</td>"
            f"<td>{escape(t_short or t_name)}</td><td>{escape(i_short or i_name)}</td>"
            f"<td>{escape(states[state])}</td><td>{due:%Y-%m-%d}</td></tr>"
        )
    out.append("</table>")
    return HttpResponse("".join(out))


def bare_inbox(request):
    from django.db.models import F
    from django.http import HttpResponse
    from django.utils.html import escape

    from core.models import RoleAssignment, WorkItem

    units = RoleAssignment.objects.filter(user_id=request.user.pk).values("unit_id")
    rows = (
        WorkItem.objects.filter(owner_unit_id__in=units, state="open")
        .order_by(F("due_at").asc(nulls_last=True), "id")
        .values_list("pk", "url", "title", "kind", "owner_unit__name", "due_at")[:100]
    )
    out = ["<ul>"]
    for pk, url, title, kind, unit, due in rows:
        out.append(
            f'<li data-pk="{pk}"><a href="{escape(url)}">{escape(title)}</a> {escape(kind)} · '
            f"{escape(unit)} · {due:%Y-%m-%d %H:%M}</li>"
            if due
            else f'<li data-pk="{pk}"><a href="{escape(url)}">{escape(title)}</a></li>'
        )
    out.append("</ul>")
    return HttpResponse("".join(out))


def _bench_urlconf() -> str:
    """The project's URLs plus the two bare views, as a module for ROOT_URLCONF."""
    from django.urls import path

    import config.urls

    module = types.ModuleType("bench_notices_urls")
    module.urlpatterns = [
        path("bench/ledger/", bare_ledger),
        path("bench/inbox/", bare_inbox),
        *config.urls.urlpatterns,
    ]
    sys.modules[module.__name__] = module
    return module.__name__


# --- data -----------------------------------------------------------------------------------------


def load(rng: random.Random) -> dict:
    """One sub-district, its Office and 300 communities, two users, 100,000 open notices whose
    deadlines run from 60 days overdue to 40 days ahead."""
    from core.models import Role, RoleAssignment, User

    org = benchdata.create_org(COMMUNITIES)
    community_user = User.objects.create_user(
        "bench-c001",
        password="bench-pass-12345",
        sub_district=org["sub_district"],
        display_name="社区一",
    )
    RoleAssignment.objects.create(
        user=community_user, unit=org["communities"][0], role=Role.COMMUNITY_STAFF
    )
    benchdata.load_notices(rng, org, NOTICES, due_minutes=(-60 * 1440, 40 * 1440))
    return {
        "sub_district": org["sub_district"],
        "office_user": org["office_user"],
        "community_user": community_user,
        "community": org["communities"][0],
    }


# --- measuring ------------------------------------------------------------------------------------


class DbTimer:
    """connection.execute_wrapper: time spent in the database (and driver) per request."""

    def __init__(self):
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - started


def measure(pages: dict) -> dict:
    """Per page: median, min and p90 of RUNS requests, and the database time inside them.

    Round-robin (one request of each page per round) so that a noisy moment on the machine hits
    every page alike and the ratios stay meaningful."""
    from django.db import connection

    for _ in range(WARMUP):
        for client, url in pages.values():
            assert client.get(url).status_code == 200, url
    total = {name: [] for name in pages}
    db = {name: [] for name in pages}
    size = {}
    for _ in range(RUNS):
        for name, (client, url) in pages.items():
            timer = DbTimer()
            with connection.execute_wrapper(timer):
                started = time.perf_counter()
                response = client.get(url)
                total[name].append(time.perf_counter() - started)
            assert response.status_code == 200, (url, response.status_code)
            db[name].append(timer.seconds)
            size[name] = len(response.content)
    ms = lambda seconds: round(seconds * 1000, 2)  # noqa: E731
    return {
        name: {
            "median_ms": ms(statistics.median(total[name])),
            "min_ms": ms(min(total[name])),
            "p90_ms": ms(sorted(total[name])[int(RUNS * 0.9) - 1]),
            "db_median_ms": ms(statistics.median(db[name])),
            "bytes": size[name],
        }
        for name in pages
    }


def queries(client, url: str) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return {
        "count": len(captured.captured_queries),
        "sql": [q["sql"][:300] for q in captured.captured_queries],
    }


def timed(fn) -> float:
    """Median milliseconds of fn() over RUNS calls, after WARMUP calls."""
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 2)


@contextmanager
def captured_render(view):
    """The request and context a view hands to render() (the one its module imported), to
    re-render them alone."""
    module = sys.modules[view.__module__]
    seen: dict = {}
    real = module.render

    def spy(request, template_name, context=None, *args, **kwargs):
        seen.update(request=request, template=template_name, context=context)
        return real(request, template_name, context, *args, **kwargs)

    module.render = spy
    try:
        yield seen
    finally:
        module.render = real


def resolve_view(url: str):
    """The view a URL resolves to, wherever it lives (the project's URLconf decides)."""
    from django.urls import resolve

    return resolve(url).func


def breakdown(client, url: str, extra: dict) -> dict:
    """Where a page's time goes: the view alone (its queries and template), the template alone,
    the template without its rows (and without the filter form), and the given query callables.
    The view is called again with the captured request, whose user already has its roles."""
    from django.core.paginator import Paginator
    from django.forms import Form
    from django.template.loader import render_to_string

    view = resolve_view(url)
    with captured_render(inspect.unwrap(view)) as seen:
        assert client.get(url).status_code == 200
    request, template, context = seen["request"], seen["template"], seen["context"]
    empty = Paginator([], 50).get_page(1)
    result = {
        "view_ms": timed(lambda: view(request)),
        "template_ms": timed(lambda: render_to_string(template, context, request)),
        "template_without_rows_ms": timed(
            lambda: render_to_string(template, {**context, "page_obj": empty}, request)
        ),
    }
    result["rows_render_ms"] = round(result["template_ms"] - result["template_without_rows_ms"], 2)
    if "form" in context:
        result["template_without_filter_form_ms"] = timed(
            lambda: render_to_string(template, {**context, "form": Form()}, request)
        )
        result["filter_form_render_ms"] = round(
            result["template_ms"] - result["template_without_filter_form_ms"], 2
        )
    result.update({name: timed(fn) for name, fn in extra.items()})
    return result


def profile(client, url: str, top: int = 12) -> list[str]:
    """The functions with the most self time per request, in ms, from cProfile."""
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(PROFILE_RUNS):
        client.get(url)
    profiler.disable()
    rows = []
    for (filename, line, name), (_cc, calls, tottime, cumtime, _) in pstats.Stats(
        profiler
    ).stats.items():
        where = re.sub(r".*/site-packages/", "", filename.replace(str(ROOT) + "/", ""))
        rows.append((tottime, cumtime, calls, f"{where}:{line}({name})"))
    rows.sort(reverse=True)
    return [
        f"{tottime / PROFILE_RUNS * 1000:6.2f} ms self {cumtime / PROFILE_RUNS * 1000:7.2f} ms cum "
        f"{calls // PROFILE_RUNS:6d} calls  {label}"
        for tottime, cumtime, calls, label in rows[:top]
    ]


INDEX_RE = re.compile(
    r"(?:Index Scan|Index Only Scan|Bitmap Index Scan)(?: Backward)? (?:using|on) (\w+)"
)


def explain(queryset) -> dict:
    text = queryset.explain(analyze=True, buffers=True)
    return {
        "sql": str(queryset.query)[:600],
        "indexes": sorted(set(INDEX_RE.findall(text))),
        "execution_ms": _execution_ms(text),
        "plan": text.splitlines(),
    }


def _execution_ms(plan: str) -> float | None:
    found = re.search(r"Execution Time: ([\d.]+) ms", plan)
    return float(found.group(1)) if found else None


def count_explain(queryset) -> dict:
    """EXPLAIN ANALYZE of the paginator's COUNT(*) over the same filter."""
    from django.db import connection

    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM ({sql}) AS q", params)
        text = "\n".join(row[0] for row in cursor.fetchall())
    return {
        "indexes": sorted(set(INDEX_RE.findall(text))),
        "execution_ms": _execution_ms(text),
        "plan": text.splitlines(),
    }


def main() -> None:
    import django

    django.setup()
    from django.db import connection
    from django.db.models import Count
    from django.test import Client, override_settings
    from django.urls import reverse

    from core import workitems
    from core.models import WorkItem
    from rectification import selectors
    from rectification.forms import LedgerFilterForm
    from rectification.models import Notice
    from workflows import selectors as work_selectors

    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "scale": benchdata.scale(),
    }
    with benchdata.throwaway_database("notices") as db_name:
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            results["postgresql"] = cursor.fetchone()[0]
        results["database_name"] = db_name
        started = time.perf_counter()
        data = load(random.Random(SEED))
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum would have done on a live server
        results["load_seconds"] = round(time.perf_counter() - started, 1)
        office_user, community_user = data["office_user"], data["community_user"]
        results["counts"] = {
            "notices": Notice.objects.count(),
            "communities": COMMUNITIES,
            "open_work_items": WorkItem.objects.filter(state="open").count(),
            "inbox_items_of_the_community_user": WorkItem.objects.filter(
                owner_unit=data["community"], state="open"
            ).count(),
            "by_state": dict(Notice.objects.values_list("state").annotate(n=Count("id"))),
        }

        thresholds = workitems.light_thresholds()
        ledger_qs = selectors.ledger(office_user, {}, thresholds)
        inbox_qs = work_selectors.open_items({data["community"].pk}, thresholds)

        with override_settings(ROOT_URLCONF=_bench_urlconf()):
            office, community = Client(), Client()
            office.force_login(office_user)
            community.force_login(community_user)
            pages = {
                "inbox": (community, reverse("inbox")),
                "inbox_bare": (community, "/bench/inbox/"),
                "ledger": (office, reverse("ledger")),
                "ledger_bare": (office, "/bench/ledger/"),
            }
            # The bare views show exactly the rows of the real pages.
            ledger_pks = [n.pk for n in ledger_qs[:50]]
            inbox_pks = [w["id"] for w in inbox_qs[:100]]
            body = office.get("/bench/ledger/").content.decode()
            assert [int(p) for p in re.findall(r'data-pk="(\d+)"', body)] == ledger_pks
            body = community.get("/bench/inbox/").content.decode()
            assert [int(p) for p in re.findall(r'data-pk="(\d+)"', body)] == inbox_pks
            body = office.get(reverse("ledger")).content.decode()
            assert all(f"/notices/{pk}/" in body for pk in ledger_pks)

            results["medians"] = measure(pages)
            med = {k: v["median_ms"] for k, v in results["medians"].items()}
            results["ratios"] = {
                "inbox/bare": round(med["inbox"] / med["inbox_bare"], 2),
                "ledger/bare": round(med["ledger"] / med["ledger_bare"], 2),
            }
            results["queries"] = {name: queries(c, url) for name, (c, url) in pages.items()}
            results["query_counts"] = {k: v["count"] for k, v in results["queries"].items()}
            units = {data["community"].pk}
            results["breakdown_ms"] = {
                "inbox": breakdown(
                    community,
                    reverse("inbox"),
                    {
                        "count_query_ms": lambda: work_selectors.open_items(
                            units, thresholds
                        ).count(),
                        "light_counts_query_ms": lambda: work_selectors.light_counts(
                            units, thresholds
                        ),
                        "page_query_ms": lambda: list(
                            work_selectors.open_items(units, thresholds)[:100]
                        ),
                    },
                ),
                "ledger": breakdown(
                    office,
                    reverse("ledger"),
                    {
                        "filter_form_init_ms": lambda: LedgerFilterForm(
                            None, sub_district_id=office_user.sub_district_id
                        ),
                        "count_query_ms": lambda: ledger_qs.all().count(),
                        "page_query_ms": lambda: list(ledger_qs.all()[:50]),
                    },
                ),
            }
            for name in ("inbox", "ledger"):
                part = results["breakdown_ms"][name]
                part["outside_view_ms"] = round(med[name] - part["view_ms"], 2)
            results["profile_top_self_time_per_request"] = {
                name: profile(*pages[name]) for name in ("inbox", "ledger")
            }

        results["explain"] = explains = {
            "ledger_page_default_sort": explain(ledger_qs[:50]),
            "ledger_count": count_explain(ledger_qs),
            "ledger_open_sorted_by_due": explain(
                selectors.ledger(office_user, {"state": "issued", "sort": "due"}, thresholds)[:50]
            ),
            "ledger_red_light": explain(
                selectors.ledger(office_user, {"light": "red", "sort": "due"}, thresholds)[:50]
            ),
            "ledger_red_light_default_sort": explain(
                selectors.ledger(office_user, {"light": "red"}, thresholds)[:50]
            ),
            "inbox_page": explain(inbox_qs[:100]),
            "inbox_count": count_explain(inbox_qs),
        }
        expected = {
            "ledger_page_default_sort": "notice_sd_issued",
            "ledger_open_sorted_by_due": "notice_sd_state_due",
            "ledger_red_light": "notice_sd_due",
            "inbox_page": "workitem_owner_state_due",
            "inbox_count": "workitem_owner_state_due",
        }
        results["index_check"] = {
            name: {
                "expected": index,
                "used": explains[name]["indexes"],
                "ok": index in explains[name]["indexes"],
                "execution_ms": explains[name]["execution_ms"],
            }
            for name, index in expected.items()
        }
    (OUT / "notices.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False, default=str)
    )
    keys = ("counts", "medians", "ratios", "query_counts", "breakdown_ms", "index_check")
    summary = {k: results[k] for k in keys}
    print(json.dumps(summary, indent=2, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
