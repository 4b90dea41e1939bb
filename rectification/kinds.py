"""The work-item kinds of notices (core.workitems): what waits on whom, and how each kind plugs
into the deadline engine (core.deadlines). Registered once, in RectificationConfig.ready()."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from core import deadlines

WI_REPLY = "notice.reply"  # the community must reply
WI_MEASURES = "notice.measures"  # the community must submit measures
WI_VERIFY = "notice.verify"  # the issuer must verify (or return) the measures
WI_EXTENSION = "notice.extension"  # the issuer must grant or refuse an extension request
WI_PROPOSAL = "notice.escalation_proposal"  # the issuer must accept or dismiss a proposal
WI_ESCALATION_DRAFT = "notice.escalation_draft"  # the issuer must issue (or drop) the next notice

KINDS = (WI_REPLY, WI_MEASURES, WI_VERIFY, WI_EXTENSION, WI_PROPOSAL, WI_ESCALATION_DRAFT)


def register() -> None:
    # The overdue hooks need the notice models and services: imported when the app is ready.
    from .deadlines import issuer_units, propose_escalation

    # Art. 11: an overdue reply or overdue measures are reported to the issuer too and raise an
    # escalation proposal; the issuer's own decisions have no deadline and are not reminded.
    for kind, label, overdue in (
        (WI_REPLY, _("Reply in writing"), True),
        (WI_MEASURES, _("Submit rectification measures"), True),
        (WI_VERIFY, _("Verify rectification measures"), False),
        (WI_PROPOSAL, _("Decide on an escalation proposal"), False),
        (WI_EXTENSION, _("Decide on an extension request"), False),
        (WI_ESCALATION_DRAFT, _("Issue the escalated notice"), False),
    ):
        deadlines.register(
            deadlines.DeadlineKind(
                kind=kind,
                label=label,
                also_notify=issuer_units if overdue else None,
                on_overdue=propose_escalation if overdue else None,
                remind=overdue,
            )
        )
