"""Pages of the assessment year."""

from django.http import HttpResponse


def year_list(request):
    return HttpResponse("")


def year_detail(request, number):
    return HttpResponse("")


def report_detail(request, pk):
    return HttpResponse("")


def claim_detail(request, pk):
    return HttpResponse("")


def fraud_detail(request, number, pk):
    return HttpResponse("")
