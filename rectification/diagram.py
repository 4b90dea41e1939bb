"""The notice state diagram, generated from the django-fsm-2 transitions (not hand-drawn)."""

from .models import Notice, NoticeState

# Names of the transition methods as users see them (interfaces.md UI vocabulary).
ACTION_LABELS = {
    "issue": "签发 issue",
    "reply": "提交答复 reply",
    "submit_measures": "提交整改措施 submit measures",
    "verify": "验收销号 verify",
    "return_reply": "退回 return",
    "return_measures": "退回 return",
    "withdraw": "撤回 withdraw",
    "escalate": "升级 escalate",
}

STATE_LABELS = {
    NoticeState.DRAFT: "草稿 draft",
    NoticeState.ISSUED: "已签发 issued",
    NoticeState.REPLIED: "已答复 replied",
    NoticeState.MEASURES_SUBMITTED: "已提交措施 measures submitted",
    NoticeState.VERIFIED: "已销号 verified",
    NoticeState.WITHDRAWN: "已撤回 withdrawn",
    NoticeState.ESCALATED: "已升级 escalated",
}


def mermaid() -> str:
    """A Mermaid stateDiagram of every transition declared on Notice.state."""
    field = Notice._meta.get_field("state")
    edges = sorted(
        {
            (t.source, t.target, ACTION_LABELS.get(t.name, t.name))
            for t in field.get_all_transitions(Notice)
        }
    )
    lines = ["stateDiagram-v2"]
    for state in NoticeState.values:
        lines.append(f'    state "{STATE_LABELS[state]}" as {state}')
    lines.append(f"    [*] --> {NoticeState.DRAFT}")
    for source, target, label in edges:
        lines.append(f"    {source} --> {target}: {label}")
    for final in (NoticeState.VERIFIED, NoticeState.WITHDRAWN, NoticeState.ESCALATED):
        lines.append(f"    {final} --> [*]")
    return "\n".join(lines) + "\n"


def document() -> str:
    return (
        "# Rectification notice states (Art. 11)\n\n"
        "Generated from `rectification/models.py` by "
        "`python manage.py notice_state_diagram`; do not edit by hand\n"
        "(a test fails when this file and the code disagree).\n\n"
        "```mermaid\n" + mermaid() + "```\n\n"
        "Escalation (升级) also creates the next notice of the ladder as a prefilled draft:\n"
        "整改联系单 → 督办单 → 意见书 (with an interview). An opinion letter cannot be escalated;\n"
        "a replied notice can be escalated only when its measures are overdue.\n"
    )
