"""Error pages speak the user's language only (no "(403 Forbidden)" or an English copy of the
message beside the Chinese), and dates read one way across the product: ISO, 2026-12-04."""

import datetime as dt
import re

import pytest
from django.template import Context, Template
from django.utils import translation


@pytest.mark.parametrize("name", ["400.html", "403.html", "404.html", "409.html"])
def test_error_templates_carry_no_english_status_text(name, settings):
    from pathlib import Path

    html = (Path(settings.BASE_DIR) / "templates" / name).read_text(encoding="utf-8")
    assert 'lang="en"' not in html
    assert not re.search(r"\((400|403|404|409) [A-Z]", html)


def test_dates_without_a_format_read_iso_in_chinese_and_english():
    template = Template("{{ d }} · {{ t }}")
    context = Context(
        {"d": dt.date(2026, 12, 4), "t": dt.datetime(2026, 12, 4, 14, 30, tzinfo=dt.UTC)}
    )
    for language in ("zh-hans", "en"):
        with translation.override(language):
            assert template.render(context) == "2026-12-04 · 2026-12-04 22:30"
