"""A year published before result versions were stored gets its version 1 when the upgrade is
migrated: communities then read stored figures, and a later correction changes nothing they see
until it is republished (Art. 16)."""

import pytest
from django.core.management import call_command

from appraisal import services
from appraisal.models import ResultsVersion, YearStatus
from appraisal.services.publication import BACKFILL_JOB, backfill_missing_versions
from core.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

# Art. 12: these tests decide before the last report periods are due, as the Office may
# with a stated reason (the decision counts them as missing).
EARLY = "在全部报送期到期前决定"


def _published(org, year):
    office, leader = org.user(Role.OFFICE_STAFF), org.user(Role.LEADER)
    for who in (office, office, leader):
        year = services.year_advance(
            year_id=year.pk, acting_user=who, expected_status=year.status, override_reason=EARLY
        )
    assert year.status == YearStatus.PUBLISHED
    return year


def test_a_year_published_without_a_version_gets_version_1_on_migrate(org, year):
    # given a year published as before versions existed (its version rows gone)
    year = _published(org, year)
    ResultsVersion.objects.filter(year=year)._raw_delete(ResultsVersion.objects.db)
    assert not ResultsVersion.objects.filter(year=year).exists()
    # when the upgrade is migrated
    call_command("migrate", verbosity=0)
    # then the year has version 1, audited as the backfill job, published when the year was
    version = ResultsVersion.objects.get(year=year)
    assert version.number == 1 and version.published_at == year.published_at
    assert version.published_by is None and version.figures
    event = (
        AuditEvent.objects.filter(event_type="appraisal.results_version_written")
        .order_by("-id")
        .first()
    )
    assert event.actor_label == BACKFILL_JOB
    # and running it again writes nothing more
    assert backfill_missing_versions() == 0
    assert ResultsVersion.objects.filter(year=year).count() == 1
