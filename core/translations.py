"""Messages of Django itself that the project shows and translates better than Django's own
zh_Hans catalogue (LOCALE_PATHS take precedence). Marked here so makemessages keeps them."""

from django.utils.translation import gettext_noop

DJANGO_OVERRIDES = [
    # Django's zh_Hans text says "empty string" (and has a typo); it is the NUL character.
    gettext_noop("Null characters are not allowed."),
]
