"""Filing a periodic report (Art. 7, 8)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from rectification.forms import MultipleFileField

from ..services.common import MAX_TEXT


class ReportForm(forms.Form):
    text = forms.CharField(
        label=gettext_lazy("Report"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    files = MultipleFileField(label=gettext_lazy("Attachments"))


class ReportAmendForm(ReportForm):
    """An amendment before the due time; `version` is the one the page showed (a stale page is
    refused)."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
