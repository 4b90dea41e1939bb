"""Declaring a bonus claim (Art. 6)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from rectification.forms import MultipleFileField

from ..models import BonusLevel
from ..services.common import MAX_REASON, MAX_TEXT


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


class ObjectionForm(forms.Form):
    """An objection (异议) to a claim in publicity (Art. 6)."""

    reason = forms.CharField(
        label=gettext_lazy("Reason for the objection"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ObjectionResponseForm(forms.Form):
    """The Office's answer to an objection: upheld (the approval is withdrawn) or dismissed."""

    objection = forms.IntegerField(widget=forms.HiddenInput)
    outcome = forms.ChoiceField(
        label=gettext_lazy("Outcome"),
        choices=[
            ("upheld", gettext_lazy("Upheld: the approval is withdrawn")),
            ("dismissed", gettext_lazy("Dismissed: the claim stands")),
        ],
        widget=forms.RadioSelect,
    )
    response = forms.CharField(
        label=gettext_lazy("Response"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
