"""The plan page's forms (Art. 20): an item's draft with its milestone rows. The services check
everything again; these give each field its error on the form as typed."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.errors import BadInput
from core.forms import DateInput

from . import drafting

MILESTONE_PREFIX = "m"
# Empty milestone rows offered below the ones already given.
EMPTY_ROWS = 3


def require_posted(data, names) -> None:
    """Every field the form sends must be there: a missing one is a 400, never read as blank
    (the request changes nothing)."""
    for name in names:
        if name not in data:
            raise BadInput(
                _(
                    "The form is incomplete: a field is missing. Nothing was changed; reload the "
                    "page and submit the form again."
                )
            )


class ItemForm(forms.Form):
    """Goal, measures, evidence expected and responsible person of an item (required-ness is
    the service's: its messages land on the fields)."""

    goal = forms.CharField(
        label=_("Rectification goal"),
        required=False,
        max_length=drafting.MAX_GOAL,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    measures = forms.CharField(
        label=_("Rectification measures"),
        required=False,
        max_length=drafting.MAX_MEASURES,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    evidence_expected = forms.CharField(
        label=_("Evidence expected"),
        required=False,
        max_length=drafting.MAX_EVIDENCE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("What will show the problem is rectified (records, photos, minutes …)."),
    )
    responsible = forms.TypedChoiceField(
        label=_("Responsible person"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, unit_id: int, with_problem: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        people = drafting.community_members(unit_id)
        self.fields["responsible"].choices = [("", "—")] + [(p.pk, str(p)) for p in people]
        if with_problem:
            self.fields = {
                "problem": forms.CharField(
                    label=_("Problem"),
                    required=False,
                    max_length=drafting.MAX_PROBLEM,
                    widget=forms.Textarea(attrs={"rows": 3}),
                ),
                **self.fields,
            }

    def posted_names(self) -> list[str]:
        return [self.add_prefix(name) for name in self.fields]


class MilestoneForm(forms.Form):
    title = forms.CharField(
        label=_("Milestone"), required=False, max_length=drafting.MAX_MILESTONE_TITLE
    )
    date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def clean(self):
        data = super().clean()
        title, day = (data.get("title") or "").strip(), data.get("date")
        if bool(title) != bool(day) and not self.errors:
            raise forms.ValidationError(_("Give both the milestone and its date, or neither."))
        return data

    def filled(self) -> tuple[str, object] | None:
        title = (self.cleaned_data.get("title") or "").strip()
        return (title, self.cleaned_data["date"]) if title else None


BaseMilestoneFormSet = forms.formset_factory(
    MilestoneForm,
    extra=0,
    max_num=drafting.MAX_MILESTONES + EMPTY_ROWS,
    absolute_max=drafting.MAX_MILESTONES + EMPTY_ROWS,
)


class MilestoneFormSet(BaseMilestoneFormSet):
    def posted_names(self, data) -> list[str]:
        management = [f"{self.prefix}-TOTAL_FORMS", f"{self.prefix}-INITIAL_FORMS"]
        require_posted(data, management)
        try:
            total = min(int(data[management[0]]), self.absolute_max)
        except ValueError:
            total = 0
        return [f"{self.prefix}-{i}-{name}" for i in range(total) for name in ("title", "date")]

    def rows(self) -> list[tuple[str, object]]:
        return [row for form in self.forms if (row := form.filled())]


def milestone_formset(milestones=(), data=None) -> MilestoneFormSet:
    """The rows as given, then empty ones; bound, the rows as posted (no initial: a row posted
    as it was shown must still be read, not skipped as unchanged)."""
    if data is not None:
        return MilestoneFormSet(data, prefix=MILESTONE_PREFIX)
    initial = [{"title": m.title, "date": m.due_date} for m in milestones]
    empty = min(EMPTY_ROWS, drafting.MAX_MILESTONES - len(initial))
    initial += [{}] * max(empty, 0)
    return MilestoneFormSet(data, prefix=MILESTONE_PREFIX, initial=initial)
