"""Evidence files: size limit, type by content sniffing, generated names, SHA-256 (Art. 11, 12).

Files are checked completely before anything is written; the database row and the stored file
are created in the caller's transaction, and a rollback removes the file again.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path

import filetype
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from .errors import Conflict, UploadRejected
from .models import Evidence

# Types every installation accepts; EVIDENCE_EXTRA_TYPES adds what an office enables.
BASE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "jpg": "image/jpeg",
    "png": "image/png",
}
EXTRA_TYPES = {
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "odt": "application/vnd.oasis.opendocument.text",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "gif": "image/gif",
    "webp": "image/webp",
    "zip": "application/zip",
}
MAX_FILES_PER_SUBMISSION = 20


def allowed_types() -> dict[str, str]:
    types = dict(BASE_TYPES)
    for ext in settings.EVIDENCE_EXTRA_TYPES:
        if ext in EXTRA_TYPES:
            types[ext] = EXTRA_TYPES[ext]
    return types


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_BYTES)


def storage_root() -> Path:
    return Path(settings.PRIVATE_STORAGE_ROOT) / "evidence"


@dataclass(frozen=True)
class CheckedFile:
    upload: object
    name: str
    size: int
    file_type: str
    content_type: str


def _human(size: int) -> str:
    from django.template.defaultfilters import filesizeformat

    return str(filesizeformat(size))


def check_upload(upload) -> CheckedFile:
    """Refuse a file that is too large (413) or not an allowed type by its content (415)."""
    # A NUL in the file's name is replaced, not refused (core.validation refuses it in typed text):
    # the name is only how the uploader called the file — the content is what is checked, hashed
    # and kept — and refusing a whole upload for its name would be harsh. PostgreSQL cannot store
    # a NUL; U+FFFD (the replacement character) shows where one was, where dropping it would
    # silently join the name's parts.
    name = os.path.basename(str(upload.name or "file"))[:255].replace("\x00", "\ufffd") or "file"
    if upload.size > max_bytes():
        raise UploadRejected(
            _("“%(name)s” is larger than %(limit)s; files may be at most %(limit)s.")
            % {"name": name, "limit": _human(max_bytes())},
            413,
        )
    head = b""
    for chunk in upload.chunks(8192):
        head = chunk[:8192]
        break
    upload.seek(0)
    kind = filetype.guess(head) if head else None
    types = allowed_types()
    extension = kind.extension if kind else ""
    if extension == "jpx":
        extension = ""
    if extension not in types:
        allowed = ", ".join(t.upper() for t in types)
        raise UploadRejected(
            _(
                "“%(name)s” is not an accepted file type (its content is %(found)s). Accepted: "
                "%(allowed)s."
            )
            % {"name": name, "found": extension.upper() or _("unknown"), "allowed": allowed},
            415,
        )
    return CheckedFile(upload, name, upload.size, extension, types[extension])


def too_many_files_message() -> str:
    return _("At most %(n)s files per submission, kept files included.") % {
        "n": MAX_FILES_PER_SUBMISSION
    }


def check_file_count(new: int, kept: int) -> None:
    """Files kept from a returned version count toward the limit like new ones (ValidationError)."""
    if new + kept > MAX_FILES_PER_SUBMISSION:
        raise ValidationError(too_many_files_message())


def check_uploads(uploads) -> list[CheckedFile]:
    uploads = list(uploads or [])
    if len(uploads) > MAX_FILES_PER_SUBMISSION:
        raise UploadRejected(
            _("At most %(n)s files can be attached at once.") % {"n": MAX_FILES_PER_SUBMISSION},
            413,
        )
    return [check_upload(u) for u in uploads]


_written: ContextVar[list[Path] | None] = ContextVar("evidence_written", default=None)


@contextmanager
def removed_if_failed():
    """Wrap a service's transaction: files stored inside it are deleted if it does not commit."""
    written: list[Path] = []
    token = _written.set(written)
    try:
        yield
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        _written.reset(token)


def store(checked: CheckedFile, *, subject, sub_district_id: int, user) -> Evidence:
    """Write the file under a generated name and record its size and SHA-256."""
    written = _written.get()
    if written is None:
        raise RuntimeError("evidence.store() must run inside evidence.removed_if_failed()")
    stored_name = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    path = storage_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    checked.upload.seek(0)
    written.append(path)
    with open(path, "xb") as out:
        for chunk in checked.upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    os.chmod(path, 0o600)
    return Evidence.objects.create(
        sub_district_id=sub_district_id,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        original_name=checked.name,
        stored_name=stored_name,
        size=checked.size,
        sha256=digest.hexdigest(),
        file_type=checked.file_type,
        content_type=checked.content_type,
        uploaded_by=user,
    )


def store_copy(original: Evidence, *, subject, user) -> Evidence:
    """A file of an earlier version kept for a new one (a resubmission after a return): its own
    copy under a new generated name, so each version's files stay as they were submitted. A file
    whose bytes no longer match the recorded SHA-256 is not carried over."""
    written = _written.get()
    if written is None:
        raise RuntimeError("evidence.store_copy() must run inside evidence.removed_if_failed()")
    stored_name = f"{timezone.now():%Y/%m}/{uuid.uuid4().hex}"
    path = storage_root() / stored_name
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    written.append(path)
    with open(path_of(original), "rb") as source, open(path, "xb") as out:
        while chunk := source.read(1024 * 1024):
            digest.update(chunk)
            out.write(chunk)
    os.chmod(path, 0o600)
    if digest.hexdigest() != original.sha256:
        raise Conflict(
            _("“%(name)s” could not be kept: attach it again.") % {"name": original.original_name}
        )
    return Evidence.objects.create(
        sub_district_id=original.sub_district_id,
        subject_type=ContentType.objects.get_for_model(subject),
        subject_id=subject.pk,
        original_name=original.original_name,
        stored_name=stored_name,
        size=original.size,
        sha256=original.sha256,
        file_type=original.file_type,
        content_type=original.content_type,
        uploaded_by=user,
    )


def path_of(evidence: Evidence) -> Path:
    return storage_root() / evidence.stored_name


# Spellings of an extension that name the same sniffed type.
EXTENSION_SPELLINGS = {"jpg": {"jpg", "jpeg", "jpe"}}


def download_name(evidence: Evidence) -> str:
    """The name a file is downloaded under: the uploaded name when its extension says what the
    content is, else its stem with the extension of the sniffed type (report.html holding a PDF
    downloads as report.pdf, so that no browser opens it as a page)."""
    name = evidence.original_name
    stem, dot, extension = name.rpartition(".")
    if not dot:
        stem, extension = name, ""
    if not stem.strip():
        stem = f"evidence-{evidence.pk}"
    spellings = EXTENSION_SPELLINGS.get(evidence.file_type, {evidence.file_type})
    if extension.lower() in spellings:
        return name
    return f"{stem}.{evidence.file_type}"
