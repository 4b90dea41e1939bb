"""Recording a fraud finding (Art. 19)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from rectification.forms import MultipleFileField


class FraudForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    reason = forms.CharField(
        label=gettext_lazy("What was falsified"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    files = MultipleFileField(label=gettext_lazy("Evidence"))
