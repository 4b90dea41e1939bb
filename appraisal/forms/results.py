"""The what-if sandbox's query (GET): the claims and findings to treat otherwise and the score
overrides typed in, each problem a message — the sandbox computes, it never writes."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from ..services.common import parse_points

WHATIF_ROWS = 5  # score overrides offered on the what-if form


def whatif_ids(params, name: str, allowed: set[int], message: str, errors: list[str]) -> set[int]:
    """The ids chosen in the list `name` among `allowed`; each other value is a message."""
    chosen = set()
    for raw in params.getlist(name):
        try:
            pk = int(raw)
        except (TypeError, ValueError):
            pk = None
        if pk is None or pk not in allowed:
            errors.append(message % {"value": str(raw)[:40]})
        else:
            chosen.add(pk)
    return chosen


def whatif_scores(params, units, indicators, errors: list[str]):
    """The score overrides chosen: (unit code, indicator code, score) per row, the codes being
    the values of the page's choice lists."""
    rows, scores = [], {}
    for index in range(WHATIF_ROWS):
        unit_code = params.get(f"unit_{index}", "").strip()
        ind_code = params.get(f"indicator_{index}", "").strip()
        raw = params.get(f"score_{index}", "").strip()
        rows.append({"index": index, "unit": unit_code, "indicator": ind_code, "score": raw})
        if not (unit_code or ind_code or raw):
            continue
        n = index + 1
        if not (unit_code and ind_code and raw):
            errors.append(
                _("Row %(n)s: choose a unit and an indicator, and give a score.") % {"n": n}
            )
            continue
        unit, indicator = units.get(unit_code), indicators.get(ind_code)
        if unit is None:
            errors.append(
                _("Row %(n)s: there is no assessed unit with the code “%(code)s”.")
                % {"n": n, "code": unit_code[:40]}
            )
        if indicator is None:
            errors.append(
                _("Row %(n)s: there is no indicator with the code “%(code)s”.")
                % {"n": n, "code": ind_code[:40]}
            )
        if unit is None or indicator is None:
            continue
        try:
            score = parse_points(
                raw[:40],
                label=_("Row %(n)s: score") % {"n": n},
                low=Decimal(0),
                high=indicator.max_points,
            )
        except ValidationError as exc:
            errors.extend(exc.messages)
            continue
        key = (unit.unit_id, indicator.pk)
        if key in scores:
            errors.append(
                _("Row %(n)s: the score of %(unit)s for %(indicator)s is given twice.")
                % {"n": n, "unit": unit_code, "indicator": ind_code}
            )
            continue
        scores[key] = score
    return rows, scores
