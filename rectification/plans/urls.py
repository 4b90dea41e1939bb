"""The plans' pages: the plan (drafting, review, acceptance), its items (tracking, close-out,
history) and the Office's plan ledger (整改台账)."""

from . import views_item, views_ledger, views_plan

urlpatterns = [*views_plan.urlpatterns, *views_item.urlpatterns, *views_ledger.urlpatterns]
