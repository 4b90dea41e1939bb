"""Publication of the year's results as the process's last Office step (Art. 16–18): the year
becomes 已公布 (its published version stored), the bottom units get their interview tasks and
督办单, and the written results — a feedback letter per community and the results bulletin —
are generated in the background, with progress on the year page; every community is notified
with a link to its letter when they are ready."""

from __future__ import annotations

import logging

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core import notifications
from core.audit import audit_record
from core.errors import Conflict

from .kinds import WI_PUBLISH
from .models import DocumentRun, DocumentRunState

logger = logging.getLogger(__name__)

LETTER_KIND = "feedback_letter"
BULLETIN_KIND = "results_bulletin"


@transaction.atomic
def year_end_publish(*, year_id: int, acting_user, expected_status: str = "decided"):
    """已决定 → 已公布 through the process's publish task (the Office)."""
    from appraisal.results import compute
    from appraisal.services.year import year_publish
    from appraisal.services.yearend import bottom_unit_notices_raise, bottom_units

    from .yearend import complete_own_step

    year = year_publish(year_id=year_id, acting_user=acting_user, expected_status=expected_status)
    bottom = bottom_units(computed=compute(year, as_of=year.as_of))
    # The interviews open as the publish task completes (the flow's split reads "bottom").
    complete_own_step(
        year=year, kind=WI_PUBLISH, acting_user=acting_user, update={"bottom": bottom}
    )
    from appraisal.models import Interview

    interviews = list(Interview.objects.filter(year=year, unit_id__in=bottom))
    bottom_unit_notices_raise(year_id=year.pk, acting_user=acting_user, interviews=interviews)
    run = documents_queue(year=year, acting_user=acting_user)
    # Art. 20: every community turns the problems fed back to it into next year's plan.
    from .plans import plans_start
    from .yearend import process_of

    process = process_of(year)
    plans_start(year=year, acting_user=acting_user, year_end_data=process.data if process else None)
    return year, run


def documents_queue(*, year, acting_user) -> DocumentRun:
    """Queue one generation of the year's documents (after commit: the job reads what was
    committed)."""
    if DocumentRun.objects.filter(
        year=year, state__in=[DocumentRunState.QUEUED, DocumentRunState.RUNNING]
    ).exists():
        raise Conflict(_("The documents are being generated already."))
    run = DocumentRun.objects.create(year=year)
    audit_record(
        event_type="yearend.documents_queued",
        actor=acting_user,
        subject=year,
        sub_district=year.sub_district_id,
        after={"run": run.pk},
    )
    transaction.on_commit(lambda: _queue_job(run.pk, 0))
    return run


# Letters per background job: each job stays well inside the task queue's timeout
# (settings.Q_CLUSTER["timeout"]) whatever the number of communities, and queues the next one.
LETTERS_PER_JOB = 40


def documents_generate(run_id: int, start: int = 0, *, queue_next: bool = True) -> DocumentRun:
    """The background job: the letters from the `start`-th community on (LETTERS_PER_JOB of
    them), each stored with its SHA-256, progress after each letter; the last job adds the
    bulletin and tells every community. With queue_next=False the caller runs the next batch
    itself (the demo seeder, which generates them in its own transaction). A job run twice (a
    retry) stores the same files again and counts the same progress. A failure is kept on the
    run (the Office may start again)."""
    from appraisal.documents.build import (
        FORMATS,
        bulletin_files,
        document_count,
        letter_files,
        unit_codes,
    )
    from appraisal.documents.facts import year_facts
    from core.documents import store_document

    run = DocumentRun.objects.select_related("year").get(pk=run_id)
    year = run.year
    if run.state in (DocumentRunState.DONE, DocumentRunState.FAILED):
        return run
    try:
        facts = year_facts(year, draft=False)
        codes = unit_codes(facts)
        DocumentRun.objects.filter(pk=run.pk).update(
            state=DocumentRunState.RUNNING, total=document_count(facts, FORMATS)
        )

        def store(filename, content, kind, done):
            with transaction.atomic():
                store_document(
                    owner=year,
                    kind=kind,
                    filename=filename,
                    content=content,
                    sub_district_id=year.sub_district_id,
                )
                DocumentRun.objects.filter(pk=run.pk).update(done=done)

        batch = codes[start : start + LETTERS_PER_JOB]
        for i, code in enumerate(batch):
            for k, (filename, content) in enumerate(letter_files(facts, code, FORMATS)):
                store(filename, content, LETTER_KIND, (start + i) * len(FORMATS) + k + 1)
        if start + LETTERS_PER_JOB < len(codes):
            if queue_next:
                _queue_job(run.pk, start + LETTERS_PER_JOB)
            run.refresh_from_db()
            return run
        done = len(codes) * len(FORMATS)
        for filename, content in bulletin_files(facts, FORMATS):
            done += 1
            store(filename, content, BULLETIN_KIND, done)
    except Exception as exc:  # kept on the run and logged; the page offers to try again
        logger.exception("year documents of %s failed", year)
        DocumentRun.objects.filter(pk=run.pk).update(
            state=DocumentRunState.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        run.refresh_from_db()
        return run
    with transaction.atomic():
        DocumentRun.objects.filter(pk=run.pk).update(
            state=DocumentRunState.DONE, finished_at=timezone.now()
        )
        units = dict(facts.units)
        notifications.notify_many(
            [
                notifications.Message(
                    sub_district_id=year.sub_district_id,
                    unit_id=units[code].unit_id,
                    verb="yearend.letter_ready",
                    title=_("%(year)s appraisal results published: your feedback letter")
                    % {"year": year.year},
                    url=reverse("yearend_document", args=[year.year, f"{code}.pdf"]),
                )
                for code in codes
                if code in units
            ]
        )
    run.refresh_from_db()
    return run


def _queue_job(run_id: int, start: int) -> None:
    from django_q.tasks import async_task

    async_task(
        "workflows.tasks.year_documents_task", run_id, start, task_name=f"docs-{run_id}-{start}"
    )
