"""An audit row's before/after as a table people can read: labelled fields, names instead of ids,
local times, 是/否 — never a Python dict, never a UTC timestamp or an internal id.

A key is labelled by, in order: what its event type registered for it (core.audit_events), the
subject model's field (its verbose_name, its choices, the name of what a foreign key points to;
a field given no verbose_name is labelled by what an app registered for the key, or by the model
it points to), what an app registered for the key, and last a humanised key. Ids are resolved in
one query per model, and only to objects of the viewer's own sub-district (nobody of another
is named).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.functional import Promise
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from . import access, audit_events
from .models import SubDistrict

_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
EMPTY = "—"


@dataclass
class Table:
    headers: list[str]
    rows: list[list[str]]


@dataclass
class Value:
    text: str = ""
    table: Table | None = None


@dataclass
class Row:
    label: str
    before: Value
    after: Value
    changed: bool = False

    @property
    def sides(self) -> tuple[Value, Value]:
        return (self.before, self.after)


@dataclass
class _Spec:
    label: str
    model_field: models.Field | None = None
    extra: audit_events.Field | None = None


@dataclass
class _Renderer:
    event_type: str
    viewer: Any
    collecting: bool = True
    refs: dict[str, set[int]] = field(default_factory=dict)
    names: dict[tuple[str, int], str] = field(default_factory=dict)

    # --- ids -------------------------------------------------------------------------------

    def ref(self, model_label: str, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, int):
            return self.scalar(value)
        if self.collecting:
            self.refs.setdefault(model_label, set()).add(value)
            return ""
        return self.names.get((model_label, value)) or f"#{value}"

    def resolve(self) -> None:
        for label, ids in self.refs.items():
            try:
                model = apps.get_model(label)
            except (LookupError, ValueError):
                continue
            rows = _scoped(self.viewer, model, model._default_manager.filter(pk__in=ids))
            for obj in rows:
                self.names[(label, obj.pk)] = str(obj)
        self.collecting = False

    # --- keys ------------------------------------------------------------------------------

    def spec(self, key: str, model: type[models.Model] | None) -> _Spec:
        specific = audit_events.field(key, self.event_type)
        if specific is not None:
            return _Spec(str(specific.label), None, specific)
        extra = audit_events.field(key)
        model_field = None
        if model is not None:
            try:
                candidate = model._meta.get_field(key)
            except FieldDoesNotExist:
                candidate = None
            if isinstance(candidate, models.Field) and candidate.concrete:
                model_field = candidate
        if model_field is not None:
            return _Spec(_field_label(model_field, extra), model_field, extra)
        if extra is not None:
            return _Spec(str(extra.label), None, extra)
        return _Spec(audit_events.humanize(key))

    # --- values ----------------------------------------------------------------------------

    def value(self, key: str, raw: Any, model: type[models.Model] | None) -> Value:
        spec = self.spec(key, model)
        return self.typed(spec, raw)

    def typed(self, spec: _Spec, raw: Any) -> Value:
        f, extra = spec.model_field, spec.extra
        if raw is None or raw == "" or raw == []:
            return Value(EMPTY)
        if f is not None:
            if f.choices and not isinstance(raw, list | dict):
                return Value(str(dict(f.flatchoices).get(raw, raw)))
            if f.is_relation and (f.many_to_one or f.one_to_one):
                return Value(self.ref(f.related_model._meta.label_lower, raw))
        if extra is not None:
            if extra.values is not None and not isinstance(raw, list | dict):
                return Value(str(extra.values(raw)))
            if extra.choices:
                return Value(self.choice(extra.choices, raw))
            if extra.refers_to:
                return Value(self.ref(extra.refers_to, raw))
            if extra.items and isinstance(raw, list):
                return self.rows(raw, _model(extra.items))
            if extra.columns and isinstance(raw, list):
                return self.rows(raw, None, extra.columns)
        return self.generic(raw)

    def choice(self, path: str, raw: Any) -> str:
        app_label, model_name, field_name = [*path.split("."), "", "", ""][:3]
        try:
            f = apps.get_model(app_label, model_name)._meta.get_field(field_name)
        except (LookupError, FieldDoesNotExist):
            return self.scalar(raw)
        return str(dict(getattr(f, "flatchoices", [])).get(raw, raw))

    def generic(self, raw: Any) -> Value:
        if isinstance(raw, list):
            if raw and all(isinstance(item, dict) for item in raw):
                return self.rows(raw, None)
            return Value("、".join(self.inline(item) for item in raw))
        if isinstance(raw, dict):
            return Value(
                table=Table(
                    headers=[],
                    rows=[[self.spec(k, None).label, self.inline(v)] for k, v in raw.items()],
                )
            )
        return Value(self.scalar(raw))

    def rows(
        self,
        items: list,
        model: type[models.Model] | None,
        columns: dict[str, audit_events.Field] | None = None,
    ) -> Value:
        dicts = [item for item in items if isinstance(item, dict)]
        if len(dicts) != len(items):
            return self.generic(items)
        keys: list[str] = []
        for item in dicts:
            keys += [k for k in item if k not in keys]
        columns = columns or {}
        specs = [
            _Spec(str(columns[k].label), None, columns[k]) if k in columns else self.spec(k, model)
            for k in keys
        ]
        body = [
            [self.inline_typed(spec, item.get(k)) for k, spec in zip(keys, specs, strict=True)]
            for item in dicts
        ]
        return Value(table=Table(headers=[s.label for s in specs], rows=body))

    def inline_typed(self, spec: _Spec, raw: Any) -> str:
        value = self.typed(spec, raw)
        return value.text if value.table is None else _flatten(value.table)

    def inline(self, raw: Any) -> str:
        value = self.generic(raw)
        return value.text if value.table is None else _flatten(value.table)

    def scalar(self, raw: Any) -> str:
        if raw is None or raw == "":
            return EMPTY
        if isinstance(raw, bool):
            return _("Yes") if raw else _("No")
        if isinstance(raw, str) and _ISO_MOMENT.match(raw):
            moment = parse_datetime(raw)
            if moment is not None:
                if timezone.is_naive(moment):
                    return moment.strftime("%Y-%m-%d %H:%M:%S")
                return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(raw, list | dict):
            return self.inline(raw)
        return str(raw)


def _field_label(model_field: models.Field, extra: audit_events.Field | None) -> str:
    """A model field's label: its verbose_name where one was given (translatable). A field left
    without one is named after its attribute, in English whatever the language ("unit",
    "indicator"): then what an app registered for the key, or the name of the model a foreign key
    points to (its verbose_name, translated)."""
    if isinstance(model_field.verbose_name, Promise):
        return str(capfirst(model_field.verbose_name))
    if extra is not None:
        return str(extra.label)
    if model_field.is_relation and model_field.related_model is not None:
        return str(capfirst(model_field.related_model._meta.verbose_name))
    return str(capfirst(model_field.verbose_name))


def _flatten(table: Table) -> str:
    if not table.headers:
        return "；".join(f"{label}: {text}" for label, text in table.rows)
    return "；".join(
        "，".join(f"{h}: {t}" for h, t in zip(table.headers, row, strict=True) if t != EMPTY)
        for row in table.rows
    )


def _model(label: str) -> type[models.Model] | None:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _scoped(viewer, model: type[models.Model], queryset: models.QuerySet):
    """Only what the viewer's own sub-district holds (or what its access policy shows)."""
    if getattr(viewer, "is_superuser", False):
        return queryset
    if model is SubDistrict:
        return queryset.filter(pk=getattr(viewer, "sub_district_id", None))
    names = {f.name for f in model._meta.get_fields()}
    if "sub_district" in names:
        return queryset.filter(sub_district_id=getattr(viewer, "sub_district_id", None))
    try:
        return access.visible(viewer, queryset)
    except LookupError:
        return queryset.none()


def _subject_model(event) -> type[models.Model] | None:
    return event.subject_type.model_class() if event.subject_type_id else None


def _key_order(model: type[models.Model] | None, key: str) -> tuple[int, str]:
    if model is not None:
        names = [f.name for f in model._meta.concrete_fields]
        for name in (key, key.removesuffix("_id")):
            if name in names:
                return (names.index(name), key)
    return (10_000, key)


def change_rows(event, viewer) -> list[Row]:
    """The rows of the before/after table of one audit event."""
    renderer = _Renderer(event_type=event.event_type, viewer=viewer)
    model = _subject_model(event)
    before, after = event.before, event.after

    def build() -> list[Row]:
        if isinstance(before, dict | None) and isinstance(after, dict | None):
            old, new = before or {}, after or {}
            # One order whatever the database keeps of the JSON (PostgreSQL's jsonb reorders
            # keys): the subject model's fields in their declared order, then the rest by name.
            keys = sorted({*old, *new}, key=lambda k: _key_order(model, k))
            return [
                Row(
                    label=renderer.spec(k, model).label,
                    before=renderer.value(k, old[k], model) if k in old else Value(EMPTY),
                    after=renderer.value(k, new[k], model) if k in new else Value(EMPTY),
                    changed=k in old and k in new and old[k] != new[k],
                )
                for k in keys
            ]
        # A payload that is a list of rows (votes, comprehensive evaluations).
        spec = renderer.spec("", None) if audit_events.field("", event.event_type) else None
        label = spec.label if spec else _("Record")
        items = _model(spec.extra.items) if spec and spec.extra and spec.extra.items else None

        def side(raw):
            if isinstance(raw, list):
                return renderer.rows(raw, items)
            return renderer.generic(raw) if raw is not None else Value(EMPTY)

        return [Row(label=label, before=side(before), after=side(after), changed=True)]

    build()  # first pass: collect the ids to name
    renderer.resolve()
    return build()


def raw_record(event) -> dict[str, str]:
    """The row exactly as its hash covers it, for a complaint file: readable, and as the one line
    of canonical JSON whose SHA-256 is the row's hash (anyone can recompute it)."""
    from .audit import _canonical, _content_type_key, hash_payload

    payload = hash_payload(
        prev_hash=event.prev_hash,
        event_type=event.event_type,
        sub_district_id=event.sub_district_id,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        subject_type=_content_type_key(event.subject_type),
        subject_id=event.subject_id,
        subject_repr=event.subject_repr,
        created_at=event.created_at,
        before=event.before,
        after=event.after,
        ip=event.ip,
    )
    return {
        "readable": json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True),
        "canonical": _canonical(payload),
    }
