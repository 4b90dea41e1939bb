from django import template
from django.urls import reverse

register = template.Library()


@register.filter
def notice_url(pk) -> str:
    """The case page's URL, without a URL reversal per row (the ledger shows 50 rows)."""
    return reverse("notice_detail", args=[0]).replace("/0/", f"/{int(pk)}/")
