"""The item page's forms (Art. 20). The services check everything again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.forms import DateInput

from ..forms import MultipleFileField
from .tracking import MAX_REASON, MAX_TEXT


class ProgressForm(forms.Form):
    progress = forms.CharField(
        label=_("Progress"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
    next_steps = forms.CharField(
        label=_("Next steps"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    milestone = forms.TypedChoiceField(
        label=_("Milestone reached (optional)"), coerce=int, required=False, empty_value=None
    )
    files = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, milestones=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["milestone"].choices = [("", _("None: progress only"))] + [
            (m.pk, f"{m.position}. {m.title} ({m.due_date:%Y-%m-%d})") for m in milestones
        ]


class CloseRequestForm(forms.Form):
    summary = forms.CharField(
        label=_("Closing summary"), max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )


class ItemVerifyForm(forms.Form):
    comment = forms.CharField(
        label=_("Verification comment"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ItemReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), max_length=MAX_REASON, widget=forms.Textarea(attrs={"rows": 2})
    )


class MilestoneExtensionForm(forms.Form):
    requested_date = forms.DateField(label=_("New date asked for"), widget=DateInput)
    reason = forms.CharField(
        label=_("Reason for the extension"),
        max_length=MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MilestoneDecisionForm(forms.Form):
    granted_date = forms.DateField(
        label=_("Grant until (empty: the date asked for)"), required=False, widget=DateInput
    )
    reason = forms.CharField(
        label=_("Reason (required to refuse)"),
        max_length=MAX_REASON,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class LinkForm(forms.Form):
    earlier = forms.TypedChoiceField(
        label=_("Repeats the earlier item"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, earlier_items=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["earlier"].choices = [("", _("None (not a repeated problem)"))] + [
            (i.pk, f"{i.plan.year} · {i.position}. {i.problem[:60]}") for i in earlier_items
        ]
