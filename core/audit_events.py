"""The catalogue of audit event types and notification kinds: key → translatable label, owning app.

Each app registers the keys it writes, once, from its AppConfig.ready() (its own
`audit_events.py`); `core.audit.audit_record` refuses a key nobody registered and
`core.notifications` a notification kind nobody registered, so every row the trail or the
notification centre can show has a label. Pages render keys through the `event_label` and
`notification_label` template filters (core/templatetags/audit.py), never the key itself.

Keys already written stay exactly as they are: they are inside each row's hash. New keys follow
`<entity>.<past participle>` (`appraisal.year_published`). A key that only old rows hold stays
registered, so those rows keep their label.

Notification kinds may be a pattern with one `{n}` (digits), for kinds built from a setting: the
sweep's reminders are `deadline.reminder_{n}` for every day count of DEADLINE_REMINDER_DAYS. An
exact registration wins over the pattern (`deadline.reminder_1` has its own singular label).

Beside labels of keys, the catalogue holds labels of the fields of before/after payloads that
are not fields of the subject model (`register_fields`), and which model an id field refers to,
so the audit detail shows "单位 | 东湖社区" instead of `'unit': 8` (core.audit_display).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext, gettext_lazy, pgettext_lazy

_KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_{}]+)+$|^[a-z][a-z0-9_]*$")


class UnknownEventType(ValueError):
    """A programming error: an event type or notification kind that no app registered."""


@dataclass(frozen=True)
class EventType:
    key: str
    label: Any  # a lazy translation
    app: str


class Catalogue:
    """One namespace of keys (audit event types, or notification kinds)."""

    def __init__(self, what: str, fallback: Any) -> None:
        self.what = what
        self.fallback = fallback
        self._exact: dict[str, EventType] = {}
        self._patterns: list[tuple[re.Pattern[str], EventType]] = []

    def register(self, key: str, label, app: str) -> None:
        if not _KEY.match(key) or key.count("{n}") > 1 or ("{" in key and "{n}" not in key):
            raise ImproperlyConfigured(f"Malformed {self.what} key {key!r}")
        existing = self._exact.get(key) or next(
            (e for _, e in self._patterns if e.key == key), None
        )
        if existing is not None:
            if existing.app != app:
                raise ImproperlyConfigured(
                    f"The {self.what} {key!r} is registered by {existing.app!r} already"
                )
            self.unregister(key)
        entry = EventType(key=key, label=label, app=app)
        if "{n}" in key:
            pattern = re.compile("^" + re.escape(key).replace(r"\{n\}", r"(?P<n>\d+)") + "$")
            self._patterns.append((pattern, entry))
        else:
            self._exact[key] = entry

    def unregister(self, key: str) -> None:
        """For tests that register a key of their own."""
        self._exact.pop(key, None)
        self._patterns = [(p, e) for p, e in self._patterns if e.key != key]

    def _find(self, key: str) -> tuple[EventType, dict[str, str]] | None:
        entry = self._exact.get(key)
        if entry is not None:
            return entry, {}
        for pattern, entry in self._patterns:
            match = pattern.match(key or "")
            if match:
                return entry, match.groupdict()
        return None

    def is_registered(self, key: str) -> bool:
        return self._find(key) is not None

    def label(self, key: str) -> str:
        """The key's label in the active language; a neutral label for a key nobody registered
        (a row older than its key's registration), never the key itself."""
        found = self._find(key)
        if found is None:
            return str(self.fallback)
        entry, values = found
        text = str(entry.label)
        return text % values if values else text

    def require(self, key: str) -> None:
        if not self.is_registered(key):
            raise UnknownEventType(
                f"Unregistered {self.what} {key!r}: register it with its label in the writing "
                "app's audit_events.py (core.audit_events)"
            )

    def registered(self) -> dict[str, EventType]:
        """Every registration, patterns under their `{n}` key."""
        entries = dict(self._exact)
        entries.update({e.key: e for _, e in self._patterns})
        return entries


events = Catalogue("audit event type", gettext_lazy("Other event"))
notification_kinds = Catalogue("notification kind", gettext_lazy("Notification"))


def register(key: str, label, app: str) -> None:
    """Register an audit event type (label: a gettext_lazy string)."""
    events.register(key, label, app)


def label(key: str) -> str:
    return events.label(key)


def is_registered(key: str) -> bool:
    return events.is_registered(key)


def registered() -> dict[str, EventType]:
    return events.registered()


# Scheduled jobs and commands write rows with no actor and their name instead (audit_record's
# `job`); pages show the job's label. Any other actor label (the name typed at a failed log-in)
# is shown as it was typed.
_jobs: dict[str, Any] = {}


def register_job(name: str, label) -> None:
    _jobs[name] = label


def job_label(name: str) -> str:
    label = _jobs.get(name)
    return str(label) if label is not None else name


def register_notification(kind: str, label, app: str) -> None:
    """Register a notification kind (Notification.verb) with what the person reads."""
    notification_kinds.register(kind, label, app)


def notification_label(kind: str) -> str:
    return notification_kinds.label(kind)


# --- Fields of before/after payloads ------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    label: Any
    # The id's model as "app_label.model" (resolved by core.audit_display without importing it).
    refers_to: str = ""
    # A list of rows of this model ("app_label.model"): their keys are labelled by its fields.
    items: str = ""
    # The stored value is a choice of this model field ("app_label.model.field").
    choices: str = ""
    # What a stored value means, where it is a code (a deadline kind …): value -> label.
    values: Callable[[Any], str] | None = None
    # A list of rows that are not a model's (the files of a step): labels of their keys, before
    # the keys' general labels (a file's "name" is its file name, not a person's name).
    columns: dict[str, Field] | None = None


_fields: dict[str, Field] = {}
_event_fields: dict[tuple[str, str], Field] = {}


def register_fields(fields: dict[str, Field], *, event_type: str = "") -> None:
    """Labels of payload keys that are not fields of the subject model (for every event type,
    or only for one: a deadline.overdue row's `kind` is a deadline kind, not the notice's)."""
    for key, field in fields.items():
        if event_type:
            _event_fields[(event_type, key)] = field
        else:
            _fields[key] = field


def field(key: str, event_type: str = "") -> Field | None:
    """What was registered for a payload key: for that event type only, if one is given."""
    if event_type:
        return _event_fields.get((event_type, key))
    return _fields.get(key)


def humanize(key: str) -> str:
    """A readable English label for a key nobody labelled: `reply_due_at` → "Reply due at"."""
    words = key.removesuffix("_id").replace("_", " ").strip()
    return (words[:1].upper() + words[1:]) if words else gettext("Field")


# --- core's own keys ----------------------------------------------------------------------------


def register_core() -> None:
    _ = gettext_lazy
    for key, text in (
        ("auth.login", _("Logged in")),
        ("auth.logout", _("Logged out")),
        ("auth.login_failed", _("Failed log-in")),
        ("auth.lockout", _("Account locked after failed log-ins")),
        ("auth.password_change", _("Password changed")),
        ("account.notification_settings", _("Notification settings changed")),
        ("calendar.day_set", _("Calendar day set")),
        ("calendar.day_delete", _("Calendar day removed")),
        ("calendar.year_set", _("Calendar year status set")),
        ("demo.seed_user", _("Demo account created")),
    ):
        register(key, text, "core")
    register_job("seed_demo", _("Demo data loader"))
    # The administration site (core.admin.ScopedAdminMixin) writes admin.<model>.<action> for
    # each model it registers (today only role assignments can be deleted there).
    admin_models = (
        ("subdistrict", _("Sub-district")),
        ("unit", _("Unit")),
        ("user", _("User")),
        ("roleassignment", _("Role assignment")),
    )
    for model, noun in admin_models:
        for action, text in (
            ("add", _("%(model)s added (administration)")),
            ("change", _("%(model)s changed (administration)")),
            ("delete", _("%(model)s deleted (administration)")),
        ):
            register(f"admin.{model}.{action}", _AdminLabel(text, noun), "core")
    register_fields(
        {
            "user": Field(_("User"), refers_to="core.user"),
            "unit": Field(_("Unit"), refers_to="core.unit"),
            "role": Field(_("Role"), choices="core.roleassignment.role"),
            "username": Field(_("Username")),
            "email": Field(_("E-mail")),
            "email_notifications": Field(_("E-mail notifications")),
            "date": Field(_("Date")),
            "name": Field(_("Name")),
            "note": Field(_("Note")),
            "source": Field(_("Source")),
            "complete": Field(_("Complete")),
            "year": Field(_("Year")),
            "reason": Field(_("Reason")),
            "state": Field(_("State")),
            "status": Field(_("Status")),
            "comment": Field(_("Comment")),
            "text": Field(_("Text")),
            "files": Field(
                _("Files"),
                columns={
                    "id": Field(pgettext_lazy("file", "ID")),
                    "name": Field(pgettext_lazy("file", "Name")),
                },
            ),
            "size": Field(_("Size (bytes)")),
            "sha256": Field(_("SHA-256")),
            "late": Field(_("Late")),
        }
    )


class _AdminLabel:
    """The label "<model> added (administration)": template and model name translated when shown."""

    def __init__(self, template, noun) -> None:
        self.template, self.noun = template, noun

    def __str__(self) -> str:
        return str(self.template) % {"model": str(self.noun)}
