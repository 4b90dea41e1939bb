"""The audit event types and notification kinds appraisal writes (core.audit_events).

Keys are as old rows hold them (they are inside each row's hash); `appraisal.year_advanced` is
kept for the rows written before the year became a state machine.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import audit_events
from core.audit_events import Field

APP = "appraisal"


def _catalogue_source(value) -> str:
    # The built-in catalogue (Art. 4's categories) is named by its module, an upload by its file.
    return str(_("Built-in catalogue")) if value == "appraisal.catalogue_data" else str(value)


def register() -> None:
    for key, label in (
        ("appraisal.year_created", _("Year created")),
        ("appraisal.settings_changed", _("Year settings changed")),
        # Written by year_advance before the year became a state machine: old rows only.
        ("appraisal.year_advanced", _("Year moved to its next stage")),
        # The year's state machine (services.YEAR_EVENTS); a decision against the checklist
        # keeps its override (reason, periods not yet due) inside the year.decided row.
        ("year.started", _("Year started")),
        ("year.year_end_opened", _("Year-end appraisal opened")),
        ("year.decided", _("Results decided")),
        ("year.published", _("Results published")),
        ("year.closed", _("Year closed")),
        ("appraisal.year_imported", _("Year imported from a bundle")),
        ("appraisal.catalogue_imported", _("Catalogue imported")),
        ("appraisal.category_imported", _("Indicators of a category imported")),
        ("appraisal.catalogue_approved", _("Catalogue approved by the Office")),
        ("appraisal.indicator_saved", _("Indicator saved")),
        ("appraisal.indicator_deleted", _("Indicator deleted")),
        ("appraisal.report_submitted", _("Report filed")),
        ("appraisal.report_amended", _("Report amended")),
        ("appraisal.scores_saved", _("Scores saved")),
        ("appraisal.verified_scores_saved", _("Verified scores saved")),
        ("appraisal.adjustment_added", _("Adjustment recorded")),
        ("appraisal.adjustment_withdrawn", _("Adjustment withdrawn")),
        ("appraisal.spot_check_recorded", _("Spot check recorded")),
        ("appraisal.spot_check_notice_raised", _("Notice raised from a spot check")),
        ("appraisal.fraud_recorded", _("Fraud finding recorded")),
        ("appraisal.fraud_upheld", _("Fraud finding upheld")),
        ("appraisal.fraud_rejected", _("Fraud finding rejected")),
        ("appraisal.claim_declared", _("Bonus claim declared")),
        ("appraisal.claim_reviewed", _("Bonus claim reviewed by the Office")),
        ("appraisal.claim_approved", _("Bonus claim approved")),
        ("appraisal.claim_rejected", _("Bonus claim rejected")),
        ("appraisal.claim_objection_raised", _("Objection to a bonus claim raised")),
        ("appraisal.claim_objection_handled", _("Objection to a bonus claim handled")),
        ("appraisal.votes_saved", _("Votes saved")),
        ("appraisal.comprehensive_saved", _("Comprehensive evaluation saved")),
        ("appraisal.full_marks_exception", _("Full-marks exception recorded")),
        ("appraisal.correction_requested", _("Correction requested")),
        ("appraisal.correction_approved", _("Correction approved")),
        ("appraisal.correction_refused", _("Correction refused")),
        ("appraisal.correction_closed", _("Correction closed")),
        ("appraisal.correction_republication_requested", _("Republication requested")),
        ("appraisal.correction_republished", _("Corrected results republished")),
        ("appraisal.correction_republication_refused", _("Republication refused")),
        ("appraisal.results_version_written", _("Results version written")),
    ):
        audit_events.register(key, label, APP)

    # The satisfaction-evaluation stage (Art. 15): a vote writes no audit row (anonymity).
    for key, label in (
        ("appraisal.votes_confirmed", _("Votes confirmed")),
        ("appraisal.ballot_meeting_created", _("Online ballot opened")),
        ("appraisal.ballot_codes_invalidated", _("Ballot codes invalidated and renewed")),
        ("appraisal.ballot_meeting_closed", _("Online ballot closed")),
    ):
        audit_events.register(key, label, APP)
    for event_type, fields in (
        ("appraisal.votes_confirmed", {"empty": Field(_("Votes without ballots"))}),
        ("appraisal.ballot_meeting_created", {"codes": Field(_("Codes issued"))}),
        ("appraisal.ballot_meeting_closed", {"codes": Field(_("Codes issued"))}),
        (
            "appraisal.ballot_codes_invalidated",
            {"invalidated": Field(_("Codes invalidated")), "minted": Field(_("Codes minted"))},
        ),
    ):
        audit_events.register_fields(fields, event_type=event_type)
    # The Leading Group's decision and the interviews of the bottom units (Art. 16, 18).
    for key, label in (
        ("appraisal.decision_approved", _("Results approved by the Leading Group")),
        ("appraisal.decision_returned", _("Results returned by the Leading Group")),
        ("appraisal.interview_recorded", _("Interview recorded")),
        ("appraisal.team_set", _("Joint assessment team named")),
        ("appraisal.verification_signed_off", _("Verification of a category signed off")),
        ("appraisal.bottom_notice_raised", _("Notice raised for a bottom-ranked community")),
    ):
        audit_events.register(key, label, APP)
    audit_events.register_fields(
        {"target": Field(_("Returned to")), "reason": Field(_("Reason"))},
        event_type="appraisal.decision_returned",
    )
    # The communities' self-evaluation (Art. 15): one row per save that changed something and
    # per step of its two-step path (经办人 → 书记).
    for key, label in (
        ("appraisal.selfeval_saved", _("Self-evaluation draft saved")),
        ("appraisal.selfeval_to_secretary", _("Self-evaluation handed to the Party secretary")),
        ("appraisal.selfeval_sent_back", _("Self-evaluation sent back by the Party secretary")),
        ("appraisal.selfeval_submitted", _("Self-evaluation submitted")),
    ):
        audit_events.register(key, label, APP)
    for event_type in ("appraisal.selfeval_saved",):
        audit_events.register_fields(
            {
                "scores": Field(_("Self-scores and notes")),
                "files": Field(_("Attachments")),
            },
            event_type=event_type,
        )
    audit_events.register_job("import_year", _("Year import (command)"))
    audit_events.register_job("results-version-backfill", _("Results version backfill"))
    for kind, label in (
        ("claim_approved", _("Bonus claim approved")),
        ("claim_rejected", _("Bonus claim rejected")),
        ("results.republished", _("Results corrected")),
    ):
        audit_events.register_notification(kind, label, APP)

    audit_events.register_fields(
        {
            "copied_from": Field(_("Settings copied from")),
            "approval_withdrawn": Field(_("Catalogue approval withdrawn")),
            "categories": Field(_("Categories")),
            "indicators": Field(_("Indicators")),
            "indicator": Field(_("Indicator")),
            "category": Field(_("Category")),
            "changes": Field(_("Changes"), items="appraisal.score"),
            "before": Field(_("Before")),
            "after": Field(_("After")),
            "units": Field(_("Units")),
            "reports": Field(_("Reports")),
            "tasks_opened": Field(_("Tasks opened")),
            "replaced": Field(_("Replaced")),
            "correction": Field(_("Correction"), refers_to="appraisal.correction"),
            "figures_sha256": Field(_("Figures SHA-256")),
            "override": Field(_("Checklist overridden")),
            "periods_not_yet_due": Field(_("Report periods not yet due")),
            "bundle_sha256": Field(_("Year bundle SHA-256")),
        }
    )
    audit_events.register_fields(
        {"source": Field(_("Source"), values=_catalogue_source)},
        event_type="appraisal.catalogue_imported",
    )
    audit_events.register_fields(
        {"source": Field(_("Source"))}, event_type="appraisal.category_imported"
    )
    # The top level of these payloads is a list of rows (key "").
    for event_type, model in (
        ("appraisal.votes_saved", "appraisal.vote"),
        ("appraisal.comprehensive_saved", "appraisal.comprehensive"),
    ):
        audit_events.register_fields({"": Field(_("Rows"), items=model)}, event_type=event_type)
