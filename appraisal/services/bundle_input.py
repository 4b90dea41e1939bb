"""What the year-bundle import service takes (../shared/spec/year-bundle.md): the typed bundle
(Parsed, built by appraisal.files.bundle.parse from the file's bytes) and the error that names the
bundle path of a problem. Defined here, beside the service, so that files/ hands typed rows down
to a service and a service never imports files/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext, override


class _(str):
    """A message rendered when shown, in the language active then (the commands print it in
    Chinese and English). Marked for makemessages like gettext."""

    params: dict | None = None

    def __mod__(self, params):
        message = _(self)
        message.params = params
        return message

    def render(self) -> str:
        text = gettext(str.__str__(self))
        if not self.params:
            return text
        return text % {k: v.render() if isinstance(v, _) else v for k, v in self.params.items()}


class BundleError(ValueError):
    """A bad bundle: `path` names where, the message says what."""

    def __init__(self, path: str, message):
        self.path = path
        self.message = message
        super().__init__(path)

    def __str__(self) -> str:
        text = self.message.render() if isinstance(self.message, _) else str(self.message)
        return f"{self.path}: {text}" if self.path else text

    def bilingual(self) -> str:
        with override("zh-hans"):
            zh = str(self)
        with override("en"):
            en = str(self)
        return zh if zh == en else f"{zh} / {en}"


@dataclass
class Parsed:
    year: int
    as_of: datetime | None
    settings: dict[str, Any]
    units: list[dict]
    categories: list[dict]
    indicators: list[dict]
    reports: list[dict]
    scores: list[dict]
    adjustments: list[dict]
    fraud: list[dict]
    claims: list[dict]
    votes: list[dict]
    comprehensive: list[dict]
    exceptions: list[dict]
