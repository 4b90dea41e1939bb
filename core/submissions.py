"""One-time form tokens: a form that creates something is sent once, however often it is posted.

The page renders a fresh token (`new_token()`) in a hidden field; the view claims it with
`submission_claim` inside the transaction that creates the object. A second post of the same
page (a double click, the browser's "resend", a page left open and sent again) meets the claimed
token and gets 409, creating nothing. The claim rolls back with a failed creation, so a form sent
back with an error message can be corrected and sent again.
"""

from __future__ import annotations

import uuid

from django import forms
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .errors import Conflict
from .forms import hidden_value
from .models import FormSubmission

FIELD = "submission_token"

ALREADY_SENT = gettext_noop(
    "This form was already sent: what it creates exists. Nothing was created twice; open the "
    "list to find it."
)


def new_token() -> str:
    return str(uuid.uuid4())


def token_from(data) -> uuid.UUID:
    """The token of a posted form; missing or malformed is a 400, never a silent pass."""
    return hidden_value(data, FIELD, label=_("the form's one-time token"), field=forms.UUIDField())


def submission_claim(*, token: uuid.UUID, acting_user, url: str | None = None) -> None:
    """Claim a form's token in the caller's transaction; 409 if it was claimed before."""
    if not connection.in_atomic_block:
        raise RuntimeError("submission_claim() belongs inside the creating transaction")
    try:
        with transaction.atomic():
            FormSubmission.objects.create(token=token, user=acting_user)
    except IntegrityError:
        raise Conflict(_(ALREADY_SENT), url=url) from None
