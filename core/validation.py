"""One policy for text that users type, whichever app receives it.

A NUL character is refused (PostgreSQL cannot store it in a text column; silently dropping it would
store something other than what was sent), overlong text is refused, and blank required text is
refused — each with a message naming the field by its label.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def clean_text(value: str | None, *, label: str, max_length: int, required: bool = True) -> str:
    """The stripped text, or ValidationError naming the field (NUL, too long, or missing)."""
    value = (value or "").strip()
    if "\x00" in value:
        raise ValidationError(_("%(field)s contains a NUL character.") % {"field": label})
    if len(value) > max_length:
        raise ValidationError(
            _("%(field)s is too long: at most %(max)s characters.")
            % {"field": label, "max": max_length}
        )
    if required and not value:
        raise ValidationError(_("%(field)s is required.") % {"field": label})
    return value
