"""Forms of the year: a new year, and its settings (scoring.md) with the three lists as text."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.forms import DateTimeInput

from ..models import AssessmentYear
from ..services.common import parse_points
from ..services.year import LIST_SETTINGS, SETTING_FIELDS, settings_messages


class YearCreateForm(forms.Form):
    number = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    copy_from = forms.TypedChoiceField(
        label=gettext_lazy("Start from the catalogue of"),
        coerce=int,
        required=False,
        empty_value=None,
    )


class SettingsForm(forms.ModelForm):
    rank_bonus_text = forms.CharField(
        label=gettext_lazy("Additions for ranks 1, 2, 3 … (comma-separated)"), max_length=200
    )
    bottom_penalty_text = forms.CharField(
        label=gettext_lazy("Deductions for bottom positions 1, 2 … (comma-separated)"),
        max_length=200,
    )
    grade_bands_text = forms.CharField(
        label=gettext_lazy("Grade bands, best first (grade:minimum, comma-separated)"),
        max_length=300,
    )

    class Meta:
        model = AssessmentYear
        # Every setting (SETTING_FIELDS) but the three lists, edited as text below.
        fields = [f for f in SETTING_FIELDS if f not in LIST_SETTINGS]
        widgets = {"claim_declare_by": DateTimeInput()}

    # The lists as the model stores them; their ranges are checked with every other setting by
    # domain.settings (clean), the one check that the service and the bundle import call too.
    LIST_FIELDS = {
        "rank_bonus": "rank_bonus_text",
        "bottom_penalty": "bottom_penalty_text",
        "grade_bands": "grade_bands_text",
    }

    def __init__(self, *args, year_number: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.year_number = year_number

    def _decimals(self, name: str) -> list[str]:
        raw = self.cleaned_data[name]
        out = []
        for part in [p.strip() for p in raw.replace("，", ",").split(",") if p.strip()]:
            out.append(str(parse_points(part, label=self.fields[name].label)))
        return out

    def clean_rank_bonus_text(self):
        return self._decimals("rank_bonus_text")

    def clean_bottom_penalty_text(self):
        return self._decimals("bottom_penalty_text")

    def clean_grade_bands_text(self):
        raw = self.cleaned_data["grade_bands_text"].replace("，", ",").replace("：", ":")
        bands = []
        for part in [p.strip() for p in raw.split(",") if p.strip()]:
            grade, sep, minimum = part.partition(":")
            if not sep or not grade.strip():
                raise ValidationError(_("Write each band as grade:minimum, e.g. 优胜:90."))
            value = parse_points(minimum, label=grade.strip())
            bands.append({"grade": grade.strip(), "min": str(value)})
        return bands

    def values(self) -> dict:
        """The cleaned settings by their model names (SETTING_FIELDS)."""
        values = {f: self.cleaned_data[f] for f in self.Meta.fields if f in self.cleaned_data}
        for field, text_field in self.LIST_FIELDS.items():
            if text_field in self.cleaned_data:
                values[field] = self.cleaned_data[text_field]
        return values

    def clean(self):
        cleaned = super().clean()
        problems = settings_messages(self.values(), year_number=self.year_number)
        for field, texts in problems.items():
            for text in texts:
                self.add_error(self.LIST_FIELDS.get(field, field), text)
        return cleaned
