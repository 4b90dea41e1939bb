"""A POST must carry every field its form shows.

A field that is absent is not a field left blank: a cut-short or hand-made POST used to reset
every row it did not carry (one POST with one field erased reset 14 of 15 comprehensive scores
and every vote). The multi-row pages (votes and comprehensive, the scoring grid) and the
settings and indicator forms list the fields they show; a POST missing any of them is answered
400 with a message naming what is missing, and nothing is saved. A field present but empty
keeps the meaning each page gives it.

Checkboxes are sent only when ticked, so a page that shows one also sends a hidden field of the
same name (value "off") before it: a ticked box sends both, an unticked one the hidden field,
and a POST with neither lacks the field.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.contrib import messages
from django.utils.translation import gettext as _
from django.utils.translation import override

SHOWN = 8  # missing fields named in the message; the rest are counted


def missing(post, expected: Mapping[str, object]) -> list:
    """The labels of the fields of `expected` (name → label, lazy labels welcome: the message
    is rendered in two languages) that `post` lacks."""
    return [label for name, label in expected.items() if name not in post]


def _message(labels: list) -> str:
    named = "; ".join(str(label) for label in labels[:SHOWN])
    if len(labels) > SHOWN:
        named += " " + _("and %(n)s more") % {"n": len(labels) - SHOWN}
    return _(
        "The form arrived incomplete: %(n)s field(s) missing (%(fields)s). Nothing was "
        "saved; open the page again and save it from there."
    ) % {"n": len(labels), "fields": named}


def refuse(request, labels: list) -> None:
    """Put the bilingual message (Chinese / English) naming the missing fields on the page."""
    with override("zh-hans"):
        zh = _message(labels)
    with override("en"):
        en = _message(labels)
    messages.error(request, zh if zh == en else f"{zh} / {en}")


def form_fields(form) -> dict[str, object]:
    """name → label of every field a Django form renders, checkboxes excepted (a browser omits
    an unticked one; forms.BooleanField reads absence as False)."""
    from django import forms

    return {
        form.add_prefix(name): field.label or name
        for name, field in form.fields.items()
        if not isinstance(field.widget, forms.CheckboxInput)
    }
