"""In-year additions and deductions, and spot checks (Art. 10)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from core.forms import DateInput


class AdjustmentForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    points = forms.CharField(label=gettext_lazy("Points (negative for a deduction)"), max_length=10)
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    source = forms.CharField(
        label=gettext_lazy("Source (e.g. spot check, bulletin)"), max_length=100
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())


class SpotCheckForm(forms.Form):
    unit = forms.TypedChoiceField(label=gettext_lazy("Community"), coerce=int)
    category = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)
    indicator = forms.TypedChoiceField(
        label=gettext_lazy("Indicator"), coerce=int, required=False, empty_value=None
    )
    date = forms.DateField(label=gettext_lazy("Date"), widget=DateInput())
    findings = forms.CharField(
        label=gettext_lazy("Findings"), max_length=20000, widget=forms.Textarea(attrs={"rows": 3})
    )
