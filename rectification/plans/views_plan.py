"""The plan page: drafting, review and acceptance (Art. 20). Being built."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import path

from core import access

from ..models import RectificationPlan


@login_required
def plan_detail(request, pk: int):
    plan = access.get_visible_or_404(request.user, RectificationPlan, pk=pk)
    return render(request, "rectification/plans/plan_detail.html", {"plan": plan})


urlpatterns = [path("plans/<int:pk>/", plan_detail, name="plan_detail")]
