#!/usr/bin/env python
"""`make bench`: measure the foundation's hot paths and write var/bench/foundation.json.

Runs against a throw-away SQLite database (or DATABASE_URL's server, in the test database of its
name). BENCH_SCALE scales the repetitions (scripts/benchdata.py). Figures are wall-clock on this
machine; compare runs on the same machine only.
"""

import json
import os
import platform
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")

import benchdata  # noqa: E402 (scripts/, after the path and settings above)


def main() -> None:
    import django

    django.setup()
    from django.db import connection, transaction
    from django.test.utils import setup_test_environment

    from core.audit import audit_record, verify_chain
    from core.audit_events import register as register_event_type
    from core.workdays import add_workdays, workdays_between

    # The benchmark's own rows, in its throwaway database (audit_record refuses unknown keys).
    register_event_type("bench.event", "Benchmark row", "scripts")

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "database": connection.vendor,
        "scale": benchdata.scale(),
    }
    try:
        n = benchdata.scaled(2000, 20)
        started = time.perf_counter()
        for i in range(n):
            with transaction.atomic():
                audit_record(event_type="bench.event", job="bench", after={"i": i})
        elapsed = time.perf_counter() - started
        results["audit_record_per_second"] = round(n / elapsed, 1)

        started = time.perf_counter()
        report = verify_chain()
        elapsed = time.perf_counter() - started
        assert report.ok and report.checked == n
        results["audit_verify_rows_per_second"] = round(n / elapsed, 1)

        runs = benchdata.scaled(200, 10)
        started = time.perf_counter()
        for i in range(runs):
            add_workdays(date(2026, 1, 1 + i % 28), 20)
        results["add_workdays_20_ms"] = round((time.perf_counter() - started) / runs * 1000, 3)

        started = time.perf_counter()
        for _ in range(runs):
            workdays_between(date(2025, 1, 1), date(2026, 12, 31))
        results["workdays_between_2y_ms"] = round((time.perf_counter() - started) / runs * 1000, 3)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
    (benchdata.out_dir() / "foundation.json").write_text(
        json.dumps(results, indent=2, ensure_ascii=False)
    )
    print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
