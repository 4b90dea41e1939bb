"""The work-item kinds of the appraisal (core.deadlines): what lands in a unit's inbox (待办),
with its label and whether it is reminded. Registered once, from AppraisalConfig.ready."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

WI_REPORT = "report.submit"  # a community must file a periodic report (Art. 7, 8)
WI_CLAIM_REVIEW = "claim.review"  # the Office reviews a bonus claim (Art. 6)
WI_CLAIM_DECIDE = "claim.decide"  # the Leading Group decides a bonus claim
WI_CLAIM_OBJECTION = "claim.objection"  # the Office handles an objection raised in publicity
WI_FRAUD_DECIDE = "fraud.decide"  # the Leading Group decides a fraud finding (Art. 19)
WI_CORRECTION = "correction.approve"  # the Leading Group approves a correction
WI_REPUBLICATION = "correction.republish"  # the Leading Group approves a republication (Art. 16)


def register() -> None:
    from core import deadlines

    from .services.reports import open_report_items

    # Art. 7, 12: report tasks open when their period begins and get reminders; a late
    # report is simply excluded from scoring (no on_overdue).
    deadlines.register(
        deadlines.DeadlineKind(
            kind=WI_REPORT, label=_("File a periodic report"), open_due=open_report_items
        )
    )
    # Decisions without a deadline: listed in the inbox, never reminded.
    for kind, label in (
        (WI_CLAIM_REVIEW, _("Review a bonus claim")),
        (WI_CLAIM_DECIDE, _("Decide a bonus claim")),
        (WI_CLAIM_OBJECTION, _("Handle an objection to a bonus claim")),
        (WI_FRAUD_DECIDE, _("Decide a fraud finding")),
        (WI_CORRECTION, _("Approve a correction")),
        (WI_REPUBLICATION, _("Approve the republication of corrected results")),
    ):
        deadlines.register(deadlines.DeadlineKind(kind=kind, label=label, remind=False))
