"""Evidence downloads are named by the type their content shows (core.evidence sniffs it at
upload): a PDF uploaded as report.html downloads as report.pdf, never as a page a browser runs."""

import re
from urllib.parse import unquote

import pytest

from core.models import Role
from tests.rectification.conftest import PDF_BYTES
from tests.rectification.test_evidence import PNG, download, reply_files, reply_with

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]


def names(response) -> tuple[str, str]:
    disposition = response["Content-Disposition"]
    ascii_name = re.search(r'filename="([^"]*)"', disposition).group(1)
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition).group(1)
    return ascii_name, unquote(encoded)


@pytest.mark.parametrize(
    "uploaded, content, expected",
    [
        ("report.html", PDF_BYTES, "report.pdf"),
        ("整改报告.htm", PDF_BYTES, "整改报告.pdf"),
        ("整改报告 第1版.pdf", PDF_BYTES, "整改报告 第1版.pdf"),
        ("扫描件.PDF", PDF_BYTES, "扫描件.PDF"),
        ("现场.svg", PNG, "现场.png"),
        ("材料", PDF_BYTES, "材料.pdf"),
        (".html", PDF_BYTES, None),
    ],
)
def test_the_download_is_named_by_the_sniffed_type(client, org, uploaded, content, expected):
    # given a reply whose attachment's name does not (or does) say what it is
    notice, _ = reply_with(client, org, uploaded, content)
    (item,) = reply_files(notice)
    # when the Office downloads it
    client.force_login(org.user(Role.OFFICE_STAFF))
    response, body = download(client, item)
    # then it is an attachment of the sniffed type, named with that type's extension
    assert body == content
    assert response["Content-Type"] == item.content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    ascii_name, name = names(response)
    assert name == (expected or f"evidence-{item.pk}.{item.file_type}")
    assert ascii_name.endswith(f".{item.file_type}") or ascii_name.lower() == name.lower()
    # and the page keeps showing the name as uploaded
    assert item.original_name == uploaded


def test_an_evidence_download_is_never_stored_by_a_cache(client, org):
    notice, _ = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    client.force_login(org.user(Role.AUDITOR))
    response, _ = download(client, item)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
