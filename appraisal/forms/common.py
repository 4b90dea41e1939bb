"""Forms shared by several pages: a spreadsheet upload, a decision with its note, a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Spreadsheet (.xlsx)"))


class DecisionForm(forms.Form):
    note = forms.CharField(
        label=gettext_lazy("Note (required to reject)"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
