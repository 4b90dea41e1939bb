"""Next year's rectification plans (Art. 20): the plan, its items, milestones, progress updates
and close-out. Split by what each part does:

- kinds.py        the work-item kinds of plan items (core.deadlines)
- audit_events.py the audit event types and notification kinds
- policies.py     who sees and acts on plans and items (core.access)
- creation.py     a plan made from a community's fed-back problems (called by workflows)
- drafting.py     draft, submit, review, accept (the plan process's human steps)
- tracking.py     milestones, progress updates, extensions, escalation, close-out (销号)
- selectors.py    reads: the plan page, the item page and its timeline, the ledger
- documents.py    the 对账销号单 (docx/PDF through core.documents)
"""
