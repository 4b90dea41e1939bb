from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **changes) -> str:
    """The current query string with some parameters replaced (pagination keeps the filters)."""
    query = context["request"].GET.copy()
    for key, value in changes.items():
        query[key] = value
    return query.urlencode()


@register.filter
def bs(field):
    """Render a bound field's widget with Bootstrap classes (and aria-invalid when in error)."""
    widget = field.field.widget
    input_type = getattr(widget, "input_type", "")
    if input_type == "checkbox":
        css = "form-check-input"
    elif input_type == "select" or widget.__class__.__name__.endswith("Select"):
        css = "form-select"
    else:
        css = "form-control"
    attrs = {"class": css}
    if field.errors:
        attrs["class"] += " is-invalid"
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def iso_local(value) -> str:
    """An ISO timestamp from audit JSON, shown as local 'YYYY-MM-DD HH:MM'."""
    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    moment = parse_datetime(str(value or ""))
    if moment is None:
        return str(value or "")
    if timezone.is_naive(moment):
        return moment.strftime("%Y-%m-%d %H:%M")
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


_badges: dict[tuple[str, str], str] = {}


@register.filter
def light_badge(light) -> str:
    """The traffic light of a deadline as a badge (逾期 red, 临期 yellow, 正常 green); nothing for
    an item without a deadline."""
    from django.utils.safestring import mark_safe
    from django.utils.translation import get_language

    from core.workitems import LIGHT_STYLE, Light

    key = (get_language() or "", str(light))
    badge = _badges.get(key)
    if badge is None:
        if light not in Light.values or light == Light.NONE:
            return ""
        badge = _badges[key] = mark_safe(
            f'<span class="badge text-bg-{LIGHT_STYLE[light]}" data-light="{light}">'
            f'<span class="light light-{light}" aria-hidden="true"></span> '
            f"{Light(light).label}</span>"
        )
    return badge
