"""The indicator form (Art. 5)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from core.forms import DateInput

from ..models import Indicator


class IndicatorForm(forms.ModelForm):
    category_id = forms.TypedChoiceField(label=gettext_lazy("Category"), coerce=int)

    class Meta:
        model = Indicator
        fields = [
            "code",
            "name",
            "description",
            "max_points",
            "evidence_required",
            "schedule",
            "due_date",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "due_date": DateInput(),
        }

    def __init__(self, *args, categories, **kwargs):
        """`categories`: those the user may put an indicator in (a department's own, Art. 5)."""
        super().__init__(*args, **kwargs)
        self.fields["category_id"].choices = [(c.pk, f"{c.code} {c.name}") for c in categories]
        self.fields["schedule"].choices = [
            c for c in self.fields["schedule"].choices if c[0] != "custom"
        ]
        self.order_fields(["category_id"])

    def validate_unique(self):
        """Uniqueness of the code is checked by the service, with its message."""
