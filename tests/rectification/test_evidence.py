"""Evidence files of notices (Art. 11, 12): accepted by content, stored privately under generated
names with their SHA-256, downloaded only by users who may see the notice, never inline."""

import hashlib
import io
import re
import stat
import zipfile
from pathlib import Path
from urllib.parse import unquote

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from core import evidence as evidence_files
from core.models import Evidence, Role
from rectification.models import Reply
from tests.factories import make_member
from tests.rectification.conftest import PDF_BYTES, page_fields
from tests.rectification.test_access import make_notice

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fixed_today")]

OFFICE, STAFF = Role.OFFICE_STAFF, Role.COMMUNITY_STAFF
PDF_TYPE = "application/pdf"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- files built in memory ---------------------------------------------------------------------


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(["整改事项", "责任人"])
    book.active.append(["补齐会议记录", "张三"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    # The parts Word writes first; content sniffing looks for word/ among the first entries.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("_rels/.rels", '<?xml version="1.0"?><Relationships/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buffer.getvalue()


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("说明.txt", "整改材料")
    return buffer.getvalue()


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 32


# --- helpers -----------------------------------------------------------------------------------


def reply_with(client, org, name: str, content: bytes):
    """c01's staff reply to a newly issued notice with one attachment, through the page."""
    notice = make_notice(org, "office", "issued")
    client.force_login(org.user(STAFF))
    upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
    response = client.post(
        reverse("notice_reply", args=[notice.pk]),
        {"text": "见附件。", "files": [upload], **page_fields(notice, "notice_reply")},
    )
    return notice, response


def reply_files(notice) -> list[Evidence]:
    reply_ids = list(Reply.objects.filter(notice=notice).values_list("pk", flat=True))
    return list(
        Evidence.objects.filter(
            subject_type=ContentType.objects.get_for_model(Reply), subject_id__in=reply_ids
        )
    )


def download(client, item: Evidence):
    response = client.get(reverse("evidence_download", args=[item.pk]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


# --- storing -----------------------------------------------------------------------------------


def test_uploaded_file_is_stored_privately_under_a_generated_name_with_its_sha256(client, org):
    # when the community replies with a PDF named in Chinese
    notice, response = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    assert response.status_code == 302
    # then one evidence row records the original name, the size and the SHA-256 of the content
    (item,) = reply_files(notice)
    assert item.original_name == "整改报告.pdf"
    assert item.size == len(PDF_BYTES)
    assert item.sha256 == hashlib.sha256(PDF_BYTES).hexdigest()
    assert item.file_type == "pdf" and item.content_type == PDF_TYPE
    # and the file lies in the private storage, under a name that is not the original one
    path = evidence_files.path_of(item)
    assert path.read_bytes() == PDF_BYTES
    assert path.resolve().is_relative_to(Path(settings.PRIVATE_STORAGE_ROOT).resolve())
    for public in (settings.STATIC_ROOT, *settings.STATICFILES_DIRS, settings.MEDIA_ROOT):
        if public:
            assert not path.resolve().is_relative_to(Path(public).resolve()), public
    assert "整改报告" not in str(path) and not path.name.endswith(".pdf")
    assert "整改报告" not in item.stored_name
    # readable by the application only
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_case_page_links_each_file_with_its_sha256(client, org):
    # given a reply with an attachment
    notice, _ = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    # when the Office opens the case page
    client.force_login(org.user(OFFICE))
    response = client.get(reverse("notice_detail", args=[notice.pk]))
    # then the file is listed with its name, a download link and its SHA-256
    assert response.status_code == 200
    body = response.content.decode()
    assert reverse("evidence_download", args=[item.pk]) in body
    assert "整改报告.pdf" in body
    assert item.sha256 in body


# --- downloading -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [OFFICE, Role.AUDITOR, Role.LEADER, STAFF])
def test_allowed_user_downloads_the_file_as_an_attachment(client, org, role):
    # given a reply with a PDF named in Chinese
    notice, _ = reply_with(client, org, "整改报告 第1版.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    # when a user who sees the notice downloads it
    client.force_login(org.user(role))
    response, body = download(client, item)
    # then they get exactly the bytes, as a download, never sniffed or shown inline
    assert response.status_code == 200
    assert body == PDF_BYTES
    assert response["Content-Type"] == PDF_TYPE
    assert response["X-Content-Type-Options"] == "nosniff"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    encoded = re.search(r"filename\*=UTF-8''([^;\s]+)", disposition).group(1)
    assert unquote(encoded) == "整改报告 第1版.pdf"
    assert "%E6%95%B4%E6%94%B9%E6%8A%A5%E5%91%8A" in encoded  # 整改报告, percent-encoded
    assert disposition.isascii()


def test_other_community_cannot_download(client, org):
    # given a reply of c01 with an attachment
    notice, _ = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    # when the staff of c02 asks for it
    client.force_login(make_member(org.community2, STAFF))
    response, body = download(client, item)
    # then it does not exist for them
    assert response.status_code == 404
    assert PDF_BYTES not in body


@pytest.mark.parametrize("role", sorted(Role.values))
def test_other_sub_district_cannot_download(client, org, other_org, role):
    notice, _ = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    client.force_login(other_org.user(role))
    response, body = download(client, item)
    assert response.status_code == 404
    assert PDF_BYTES not in body


def test_department_that_did_not_issue_cannot_download(client, org):
    # given a reply to a notice of the Office; the 廉政 department did not issue it
    notice, _ = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    client.force_login(org.user(Role.DEPT_ASSESSOR))
    response, _ = download(client, item)
    assert response.status_code == 404


def test_anonymous_is_sent_to_login(client, org):
    notice, _ = reply_with(client, org, "整改报告.pdf", PDF_BYTES)
    (item,) = reply_files(notice)
    client.logout()
    response, body = download(client, item)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert PDF_BYTES not in body


# --- accepted types ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "file_type", "content_type"),
    [
        ("整改方案.docx", docx_bytes(), "docx", DOCX_TYPE),
        ("整改台账.xlsx", xlsx_bytes(), "xlsx", XLSX_TYPE),
        ("现场照片.png", PNG, "png", "image/png"),
        ("现场照片.jpg", JPEG, "jpg", "image/jpeg"),
    ],
    ids=["docx", "xlsx", "png", "jpg"],
)
def test_office_documents_and_images_are_accepted_by_content(
    client, org, name, content, file_type, content_type
):
    # when the community replies with the file
    notice, response = reply_with(client, org, name, content)
    # then it is accepted and recorded with the type its content shows
    assert response.status_code == 302
    (item,) = reply_files(notice)
    assert (item.file_type, item.content_type) == (file_type, content_type)
    # and it is served back with that type
    client.force_login(org.user(OFFICE))
    response, body = download(client, item)
    assert body == content
    assert response["Content-Type"] == content_type


def test_type_comes_from_the_content_not_the_name(client, org):
    # when a PNG picture is uploaded under a .pdf name
    notice, response = reply_with(client, org, "扫描件.pdf", PNG)
    # then it is accepted as what it is, a PNG, and served as one
    assert response.status_code == 302
    (item,) = reply_files(notice)
    assert item.file_type == "png"
    client.force_login(org.user(OFFICE))
    response, _ = download(client, item)
    assert response["Content-Type"] == "image/png"


def test_zip_is_refused_unless_the_office_enables_it(client, org, settings):
    # given the installation accepts only the base types
    settings.EVIDENCE_EXTRA_TYPES = []
    # when the community attaches a ZIP archive
    notice, response = reply_with(client, org, "材料.zip", zip_bytes())
    # then it is refused as an unaccepted type (on the form again) and nothing is stored
    assert response.status_code == 400
    assert reply_files(notice) == []
    assert notice.replies.count() == 0


def test_zip_is_accepted_when_enabled(client, org, settings):
    # given the installation enables ZIP archives
    settings.EVIDENCE_EXTRA_TYPES = ["zip"]
    # when the community attaches a ZIP archive
    notice, response = reply_with(client, org, "材料.zip", zip_bytes())
    # then it is accepted as a ZIP
    assert response.status_code == 302
    (item,) = reply_files(notice)
    assert (item.file_type, item.content_type) == ("zip", "application/zip")
