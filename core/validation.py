"""One policy for text that users type, whichever app receives it.

A NUL character is refused (PostgreSQL cannot store it in a text column; silently dropping it would
store something other than what was sent), overlong text is refused, and blank required text is
refused — each with a message naming the field by its label.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The one message for a NUL character, wherever text comes from (a form, a spreadsheet cell):
# `%(field)s` is what holds it.
NUL_MESSAGE = gettext_lazy("%(field)s contains a NUL character.")


def nul_message(label) -> str:
    return str(NUL_MESSAGE) % {"field": label}


def refuse_nul(value, *, label, error: type[Exception] = ValidationError) -> None:
    """Raise `error` (ValidationError, or a channel's own error class taking a message) with the
    NUL message if the text holds a NUL character: PostgreSQL cannot store it, and dropping it
    would store something other than what was sent."""
    if isinstance(value, str) and "\x00" in value:
        raise error(nul_message(label))


def clean_text(value: str | None, *, label: str, max_length: int, required: bool = True) -> str:
    """The stripped text, or ValidationError naming the field (NUL, too long, or missing)."""
    value = (value or "").strip()
    refuse_nul(value, label=label)
    if len(value) > max_length:
        raise ValidationError(
            _("%(field)s is too long: at most %(max)s characters.")
            % {"field": label, "max": max_length}
        )
    if required and not value:
        raise ValidationError(_("%(field)s is required.") % {"field": label})
    return value
