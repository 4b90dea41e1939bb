"""The item page: milestones, progress, close-out, the whole history (Art. 20). Being built."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from core import access

from ..models import PlanItem


@login_required
def plan_item(request, pk: int):
    item = access.get_visible_or_404(request.user, PlanItem, pk=pk)
    return render(request, "rectification/plans/plan_item.html", {"item": item})


urlpatterns = [path("plans/items/<int:pk>/", plan_item, name="plan_item")]
