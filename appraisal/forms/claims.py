"""Declaring a bonus claim (Art. 6)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from rectification.forms import MultipleFileField

from ..models import BonusLevel
from ..services.common import MAX_TEXT


class ClaimForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("Level"), choices=BonusLevel.choices)
    title = forms.CharField(label=gettext_lazy("Honour or commendation"), max_length=200)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = MultipleFileField(label=gettext_lazy("Evidence"))
