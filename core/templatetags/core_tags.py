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
    if input_type == "file" and field.auto_id:
        attrs["aria-describedby"] = f"{field.auto_id}_hint"  # includes/upload_hint.html
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


@register.inclusion_tag("includes/upload_hint.html")
def upload_hint(field=None, kind: str = ""):
    """What a file field accepts, shown before the upload: the types and the size limit from the
    settings that the upload is checked against (core.evidence, core.spreadsheets). `field` is a
    bound field (its `upload_kind` says which rules apply); the bare import inputs name `kind`."""
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat
    from django.utils.translation import gettext as _

    from core import evidence

    form_field = getattr(field, "field", None)
    kind = kind or getattr(form_field, "upload_kind", "spreadsheet")
    if kind == "evidence":
        text = _(
            "Accepted: %(types)s. At most %(limit)s per file and %(n)s files at once; the type "
            "is checked by the file's content."
        ) % {
            "types": ", ".join(t.upper() for t in evidence.allowed_types()),
            "limit": filesizeformat(evidence.max_bytes()),
            "n": evidence.MAX_FILES_PER_SUBMISSION,
        }
    else:
        limit = getattr(form_field, "upload_max_bytes", None) or settings.SPREADSHEET_MAX_FILE_BYTES
        text = _("An Excel workbook (.xlsx) of at most %(limit)s.") % {
            "limit": filesizeformat(limit)
        }
    hint_id = f"{field.auto_id}_hint" if getattr(field, "auto_id", None) else ""
    return {"text": text, "hint_id": hint_id}
