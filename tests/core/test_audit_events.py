"""The catalogue of audit event types and notification kinds (core.audit_events)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.template import Context, Template
from django.utils import translation

from core import audit_events
from core.audit import PendingEvent, audit_record, audit_record_many
from core.audit_events import Catalogue, UnknownEventType
from core.models import AuditEvent, Notification
from core.notifications import Message, notify_items, notify_many

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ["core", "rectification", "appraisal", "workflows", "scripts", "config"]

# --- the registry -------------------------------------------------------------------------------


def test_a_registered_key_has_its_label_and_app():
    # given a catalogue with one key
    catalogue = Catalogue("event", "Other")
    catalogue.register("case.opened", "Case opened", "cases")
    # then it is registered with its label and app
    assert catalogue.is_registered("case.opened")
    assert catalogue.label("case.opened") == "Case opened"
    assert catalogue.registered()["case.opened"].app == "cases"
    # and an unknown key gets the neutral label, never itself
    assert not catalogue.is_registered("case.closed")
    assert catalogue.label("case.closed") == "Other"


def test_an_unknown_key_is_refused_with_a_clear_message():
    catalogue = Catalogue("audit event type", "Other")
    with pytest.raises(UnknownEventType, match=r"Unregistered audit event type 'case\.lost'"):
        catalogue.require("case.lost")
    assert issubclass(UnknownEventType, ValueError)


def test_two_apps_cannot_claim_one_key_and_malformed_keys_are_refused():
    catalogue = Catalogue("event", "Other")
    catalogue.register("case.opened", "Case opened", "cases")
    catalogue.register("case.opened", "Case opened again", "cases")  # the same app: replaced
    assert catalogue.label("case.opened") == "Case opened again"
    with pytest.raises(ImproperlyConfigured, match="registered by 'cases'"):
        catalogue.register("case.opened", "Mine", "others")
    for bad in ("Case.Opened", "case opened", "case.{x}", "case.{n}.{n}", ""):
        with pytest.raises(ImproperlyConfigured):
            catalogue.register(bad, "x", "cases")


def test_a_pattern_kind_takes_its_number_and_an_exact_kind_wins():
    catalogue = Catalogue("kind", "Other")
    catalogue.register("due.in_{n}", "Due in %(n)s days", "cases")
    catalogue.register("due.in_1", "Due tomorrow", "cases")
    assert catalogue.label("due.in_5") == "Due in 5 days"
    assert catalogue.label("due.in_1") == "Due tomorrow"
    assert not catalogue.is_registered("due.in_x")
    assert set(catalogue.registered()) == {"due.in_{n}", "due.in_1"}


def test_the_product_registers_the_year_state_machine_and_old_keys():
    # The year's transitions, and the key older rows hold.
    for key in (
        "year.started",
        "year.year_end_opened",
        "year.decided",
        "year.published",
        "year.closed",
        "appraisal.year_advanced",
    ):
        assert audit_events.registered()[key].app == "appraisal"
    with translation.override("en"):
        assert audit_events.label("year.year_end_opened") == "Year-end appraisal opened"
        assert audit_events.label("year.decided") == "Results decided"


def test_labels_are_translated_when_shown():
    with translation.override("en"):
        assert audit_events.label("notice.verify") == "Verified and closed"
        assert audit_events.label("admin.unit.add") == "Unit added (administration)"
        assert audit_events.notification_label("deadline.reminder_7") == "Due in 7 working days"
    with translation.override("zh-hans"):
        assert audit_events.label("notice.verify") == "验收销号"


# --- the template filters -----------------------------------------------------------------------


def _render(source: str, **context) -> str:
    return Template("{% load audit %}" + source).render(Context(context)).strip()


def test_the_filters_render_labels_and_a_neutral_label_for_unknown_keys():
    with translation.override("en"):
        assert _render("{{ k|event_label }}", k="notice.escalate") == "Notice escalated"
        assert _render("{{ k|event_label }}", k="gone.since_long") == "Other event"
        assert _render("{{ k|event_label }}", k=None) == "Other event"
        assert _render("{{ k|notification_label }}", k="claim_approved") == "Bonus claim approved"
        assert _render("{{ k|notification_label }}", k="gone.kind") == "Notification"
        # a job's name reads as its label; a name typed at a failed log-in stays as typed
        assert _render("{{ k|job_label }}", k="deadline-sweep") == "Deadline engine"
        assert _render("{{ k|job_label }}", k="ghost-user") == "ghost-user"
        assert _render("{{ k|job_label|default:'system' }}", k="") == "system"


# --- refusal ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_audit_record_refuses_an_unregistered_key_and_writes_nothing():
    with pytest.raises(UnknownEventType), transaction.atomic():
        audit_record(event_type="notice.verified_twice", job="t")
    with pytest.raises(UnknownEventType), transaction.atomic():
        audit_record_many(
            [
                PendingEvent("deadline.overdue", "t", None, None, "1", ""),
                PendingEvent("deadline.very_overdue", "t", None, None, "2", ""),
            ]
        )
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_notifications_refuse_an_unregistered_kind(org):
    message = Message(sub_district_id=org.sd.pk, unit_id=org.community.pk, verb="x.y", title="t")
    with pytest.raises(UnknownEventType), transaction.atomic():
        notify_many([message])
    with pytest.raises(UnknownEventType), transaction.atomic():
        notify_items("deadline.reminder_x", [(1, org.community.pk)])
    assert not Notification.objects.exists()


# --- every key the code writes is registered ----------------------------------------------------

# The calls that write an audit row or a notification: name → (position, keyword) of the key.
# Wrappers (appraisal's audit helper, rectification's _transition and _notify_target …) are
# found by the scan itself: a function passing one of its parameters on as the key.
AUDIT_CALLS = {
    "audit_record": (None, "event_type"),
    "audit_in_transaction": (None, "event_type"),
    "PendingEvent": (0, "event_type"),
}
NOTIFY_CALLS = {"notify": (None, "verb"), "Message": (2, "verb"), "notify_items": (0, "verb")}


def _dynamic_keys() -> dict[str, list[str]]:
    """Keys built at run time, by the f-string that builds them: what each can become."""
    admin_keys = [
        f"admin.{model._meta.model_name}.{verb}"
        for model, model_admin in admin.site._registry.items()
        if hasattr(model_admin, "_event")
        for verb in ("add", "change", "delete")
    ]
    return {
        r"admin\..+\..+": admin_keys,
        r"admin\.roleassignment\..+": ["admin.roleassignment.add", "admin.roleassignment.change"],
        r"notice\.extension_.+": ["notice.extension_granted", "notice.extension_refused"],
        r"deadline\.reminder_.+": [
            f"deadline.reminder_{d}" for d in settings.DEADLINE_REMINDER_DAYS
        ],
    }


def _name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _trees() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(encoding="utf-8")))
        for top in SOURCES
        for path in sorted((ROOT / top).rglob("*.py"))
        if "migrations" not in path.parts
    ]


def _with_wrappers(calls: dict, trees) -> dict:
    """The calls plus every function that hands one of its parameters on as their key."""
    calls = dict(calls)
    while True:
        found = {}
        for _path, tree in trees:
            for func in ast.walk(tree):
                if not isinstance(func, ast.FunctionDef) or func.name in calls:
                    continue
                positional = [a.arg for a in func.args.posonlyargs + func.args.args]
                if positional[:1] in (["self"], ["cls"]):
                    positional = positional[1:]
                params = set(positional) | {a.arg for a in func.args.kwonlyargs}
                for call in ast.walk(func):
                    if isinstance(call, ast.Call) and _name(call.func) in calls:
                        expr = _key_expression(call, *calls[_name(call.func)])
                        if isinstance(expr, ast.Name) and expr.id in params:
                            index = positional.index(expr.id) if expr.id in positional else None
                            found[func.name] = (index, expr.id)
        if not found:
            return calls
        calls.update(found)


def _key_expression(call: ast.Call, position: int | None, keyword: str) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == keyword:
            return kw.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _values(expr: ast.expr, scope: ast.AST, tree: ast.AST) -> tuple[set[str], set[str], list[str]]:
    """(literal keys, f-string patterns, names we could not follow) of a key expression."""
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return {expr.value}, set(), []
    if isinstance(expr, ast.IfExp):
        a, b = _values(expr.body, scope, tree), _values(expr.orelse, scope, tree)
        return a[0] | b[0], a[1] | b[1], a[2] + b[2]
    if isinstance(expr, ast.JoinedStr):
        parts = [re.escape(v.value) if isinstance(v, ast.Constant) else ".+" for v in expr.values]
        return set(), {"".join(parts)}, []
    if isinstance(expr, ast.Name):
        # A parameter of a wrapper (its callers are scanned) or a local assigned in the function.
        args = scope.args if isinstance(scope, ast.FunctionDef) else None
        if args and expr.id in {a.arg for a in args.args + args.kwonlyargs}:
            return set(), set(), []
        keys, patterns, unknown = set(), set(), []
        for node in ast.walk(scope):
            if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == expr.id for t in node.targets
            ):
                k, p, u = _values(node.value, scope, tree)
                keys, patterns, unknown = keys | k, patterns | p, unknown + u
        return keys, patterns, unknown if (keys or patterns) else [expr.id]
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
        # A module-level table of keys (appraisal's YEAR_EVENTS): every value in it.
        tables = [
            node.value
            for node in tree.body
            if isinstance(node, ast.Assign | ast.AnnAssign)
            and isinstance(node.value, ast.Dict)
            and any(
                isinstance(t, ast.Name) and t.id == expr.value.id
                for t in (node.targets if isinstance(node, ast.Assign) else [node.target])
            )
        ]
        if tables:
            results = [_values(v, scope, tree) for table in tables for v in table.values]
            return (
                set().union(*(r[0] for r in results)),
                set().union(*(r[1] for r in results)),
                [u for r in results for u in r[2]],
            )
    if isinstance(expr, ast.Call):
        # A helper of the same module that builds the key (core.admin's _event): what it returns.
        helpers = [
            node
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef) and node.name == _name(expr.func)
        ]
        returns = [r.value for h in helpers for r in ast.walk(h) if isinstance(r, ast.Return)]
        if returns:
            results = [_values(r, helpers[0], tree) for r in returns if r is not None]
            return (
                set().union(*(r[0] for r in results)),
                set().union(*(r[1] for r in results)),
                [u for r in results for u in r[2]],
            )
    return set(), set(), [ast.unparse(expr)]


def _scan(calls: dict[str, tuple[int | None, str]]):
    """Every key the calls write, where; a script registering its own key (scripts/bench.py,
    in its throwaway database) is left out."""
    keys: dict[str, str] = {}
    patterns: dict[str, str] = {}
    unknown: list[str] = []
    trees = _trees()
    calls = _with_wrappers(calls, trees)
    for path, tree in trees:
        own = {
            node.args[0].value
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            and _name(node.func) == "register_event_type"
            and node.args
            and isinstance(node.args[0], ast.Constant)
        }
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        # each function with its own scope, and the module's statements outside any
        module_level = [n for n in tree.body if not isinstance(n, ast.FunctionDef | ast.ClassDef)]
        for scope, nodes in [(f, [f]) for f in functions] + [(tree, module_level)]:
            for call in (c for node in nodes for c in ast.walk(node)):
                if not isinstance(call, ast.Call) or _name(call.func) not in calls:
                    continue
                expr = _key_expression(call, *calls[_name(call.func)])
                if expr is None:
                    continue
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                found, shapes, lost = _values(expr, scope, tree)
                keys.update(dict.fromkeys(found - own, where))
                patterns.update(dict.fromkeys(shapes, where))
                unknown += [f"{where}: {name}" for name in lost]
    return keys, patterns, unknown


def _check(catalogue: Catalogue, calls) -> set[str]:
    keys, patterns, unknown = _scan(calls)
    assert not unknown, f"keys the scan cannot follow (give them a literal): {unknown}"
    dynamic = _dynamic_keys()
    for pattern, where in patterns.items():
        assert pattern in dynamic, f"{where}: key built at run time ({pattern}): list its values"
        keys.update(dict.fromkeys(dynamic[pattern], where))
    registered = catalogue.registered()
    missing = {
        k: w
        for k, w in keys.items()
        if not catalogue.is_registered(k) or getattr(registered.get(k), "app", "") == "tests"
    }
    assert not missing, f"written but not registered by an app: {missing}"
    return set(keys)


def test_every_audit_event_type_the_code_writes_is_registered():
    keys = _check(audit_events.events, AUDIT_CALLS)
    # the scan does find the writers (it would pass vacuously otherwise)
    assert {"notice.verify", "appraisal.claim_rejected", "deadline.overdue", "auth.login"} <= keys
    assert {"year.started", "year.decided", "year.closed"} <= keys
    assert {"admin.user.change", "notice.extension_refused", "calendar.day_set"} <= keys


def test_every_notification_kind_the_code_writes_is_registered():
    kinds = _check(audit_events.notification_kinds, NOTIFY_CALLS)
    assert {"notice.issued", "claim_approved", "results.republished", "deadline.overdue"} <= kinds
    assert {"deadline.due_today", "deadline.reminder_1", "notice.extension_granted"} <= kinds


def test_every_registered_label_is_a_translatable_string_not_the_key():
    with translation.override("en"):
        for catalogue in (audit_events.events, audit_events.notification_kinds):
            for key, entry in catalogue.registered().items():
                if entry.app == "tests":
                    continue
                shown = str(entry.label)
                assert shown and shown != key and "." not in shown.split()[0], key
