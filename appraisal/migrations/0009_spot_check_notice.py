"""A spot check names the rectification notice raised from it (Art. 10, 11).

Spot checks that raised a notice before the link existed are linked where the notice can be found
unambiguously: the notice form was prefilled from the check, so the notice was made for the
check's community, in its sub-district, with the check's findings as its problem, after the check
was recorded. A check with no such notice, or with several, stays unlinked.
"""

import django.db.models.deletion
from django.db import migrations, models


def link_notices(apps, schema_editor):
    SpotCheck = apps.get_model("appraisal", "SpotCheck")
    Notice = apps.get_model("rectification", "Notice")
    taken = set(SpotCheck.objects.exclude(notice=None).values_list("notice_id", flat=True))
    for check in SpotCheck.objects.filter(notice=None).select_related("year").order_by("id"):
        candidates = [
            pk
            for pk in Notice.objects.filter(
                sub_district_id=check.year.sub_district_id,
                target_id=check.unit_id,
                problem=check.findings,
                created_at__gte=check.recorded_at,
                escalated_from=None,
            ).values_list("pk", flat=True)
            if pk not in taken
        ]
        if len(candidates) == 1:
            SpotCheck.objects.filter(pk=check.pk).update(notice_id=candidates[0])
            taken.add(candidates[0])


class Migration(migrations.Migration):
    dependencies = [
        ("appraisal", "0008_adjustment_withdrawal"),
        ("rectification", "0006_auto_escalation"),
    ]

    operations = [
        migrations.AddField(
            model_name="spotcheck",
            name="notice",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="rectification.notice",
                verbose_name="notice",
            ),
        ),
        migrations.RunPython(link_notices, migrations.RunPython.noop),
    ]
