"""The audit detail labels every key in the reader's language: a file's name is a file name (not
a person's), and a model field given no verbose_name is not shown by its English attribute."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils.text import capfirst
from django.utils.translation import gettext, pgettext

from appraisal.models import Indicator, Score
from core import audit_display
from core.models import AuditEvent, Role, Unit

pytestmark = pytest.mark.django_db


def _rows(viewer, *, model=None, after):
    event = AuditEvent(
        event_type="test.event",
        subject_type=ContentType.objects.get_for_model(model) if model else None,
        before=None,
        after=after,
    )
    return {row.label: row for row in audit_display.change_rows(event, viewer)}


def test_a_files_name_column_is_headed_file_name_not_a_persons_name(org):
    files = [{"id": 1, "name": "整改报告.pdf", "size": 10, "sha256": "ab" * 32}]
    rows = _rows(org.user(Role.AUDITOR), after={"files": files})
    table = rows[gettext("Files")].after.table
    assert table is not None
    assert pgettext("file", "Name") in table.headers
    assert gettext("Name") not in table.headers
    assert "Id" not in table.headers and pgettext("file", "ID") in table.headers
    assert pgettext("file", "Name") != gettext("Name")


def test_a_foreign_key_without_verbose_name_is_labelled_in_the_readers_language(org):
    # Score.unit and Score.indicator were declared without verbose_name: their labels come from
    # what was registered for the key, or from the model they point to, never "Unit"/"Indicator"
    rows = _rows(
        org.user(Role.AUDITOR), model=Score, after={"unit": org.community.pk, "indicator": 1}
    )
    assert "Unit" not in rows and "Indicator" not in rows
    assert gettext("Unit") in rows
    assert str(capfirst(Indicator._meta.verbose_name)) in rows or gettext("Indicator") in rows
    assert rows[gettext("Unit")].after.text == str(Unit.objects.get(pk=org.community.pk))
