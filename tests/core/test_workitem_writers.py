"""core.WorkItem has one writer: core.workitems. The case types (rectification, appraisal) open,
close, reschedule and remove their inbox items only through it, never by the ORM or raw SQL of
their own — so the inbox, the lights and the sweep can rely on what that module guarantees."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WRITES = re.compile(
    r"WorkItem\.objects\.(create|bulk_create|update|get_or_create|update_or_create)\b"
    r"|WorkItem\.objects\.filter\([^)]*\)\s*\.\s*(update|delete)\("
    r"|\bcore_workitem\b",
    re.S,
)


def _sources():
    for app in ("rectification", "appraisal"):
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_case_types_write_work_items_only_through_core_workitems():
    offenders = [
        f"{path.relative_to(ROOT)}: {m.group(0)[:60]}"
        for path in _sources()
        for m in WRITES.finditer(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_the_scan_sees_a_write():
    assert WRITES.search("WorkItem.objects.filter(\n    subject_id=1,\n).delete()")
    assert WRITES.search("INSERT INTO core_workitem")
    assert len(list(_sources())) > 20
