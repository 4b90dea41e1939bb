"""compute(details=…): the ranking reads only the database's counts and scores each unit's
categories from compact rows; listing every indicator and excluded report is asked for all
units, some, or none — and never changes a figure (the engine's two paths agree)."""

import random

import pytest

from appraisal.models import AssessmentYear
from appraisal.results import compute
from tests.appraisal import bundlegen
from tests.appraisal.test_bundle_oracle import import_bundle

pytestmark = pytest.mark.django_db


def _figures(computed):
    """Everything but the listed exclusions."""
    out = []
    for unit in computed.results.units:
        out.append(
            (
                unit.unit_id,
                unit.rank,
                unit.bottom_position,
                unit.total,
                unit.performance,
                unit.satisfaction,
                unit.bonus,
                unit.comprehensive_adjustment,
                unit.adjusted,
                unit.grade,
                unit.flags,
                tuple(
                    (c.code, c.score, c.indicator_sum, c.adjustment_sum, c.excluded)
                    for c in unit.categories
                ),
            )
        )
    return out, computed.results.full_marks


@pytest.mark.parametrize("seed", range(8))
def test_details_never_change_a_figure(tmp_path, seed):
    bundle = bundlegen.random_bundle(random.Random(seed))
    import_bundle(tmp_path, bundle)
    year = AssessmentYear.objects.get(year=bundle["year"])
    full = compute(year)
    bare = compute(year, details=False)
    assert _figures(full) == _figures(bare)
    some = full.results.units[0].unit_id
    one = compute(year, details=[some])
    assert _figures(one) == _figures(full)
    for unit in full.results.units:
        listed = {u.unit_id: u for u in one.results.units}[unit.unit_id]
        bare_unit = {u.unit_id: u for u in bare.results.units}[unit.unit_id]
        for cat, one_cat, bare_cat in zip(
            unit.categories, listed.categories, bare_unit.categories, strict=True
        ):
            # the count is always there and equals what the full listing lists
            assert cat.excluded == sum(len(i.exclusions) for i in cat.indicators)
            assert cat.excluded == sum(i.excluded for i in cat.indicators)
            # without details no indicator result is kept; with, exactly the full ones
            assert bare_cat.indicators == ()
            expected = cat.indicators if unit.unit_id == some else ()
            assert one_cat.indicators == expected
