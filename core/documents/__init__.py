"""Official documents (公文) in the GB/T 9704-2012 layout, as .docx and as PDF from one content
model; document numbers (发文字号) and the stored copies of rendered documents.

Apps build an OfficialDocument in code and call render_docx / render_pdf; the models
(DocumentCounter, StoredDocument) live in core.documents.models, imported by core.models.
"""

from .content import (
    Heading,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Table,
    chinese_date,
)


def render_docx(doc: OfficialDocument) -> bytes:
    """The document as .docx bytes (python-docx)."""
    from .word import render_docx as _render

    return _render(doc)


def render_pdf(doc: OfficialDocument) -> bytes:
    """The document as PDF bytes (fpdf2, fonts embedded)."""
    from .pdf import render_pdf as _render

    return _render(doc)


def next_document_number(*, sub_district_id: int, year: int, prefix: str) -> str:
    """The next 发文字号 "{prefix}〔{year}〕{n}号" (core.documents.services)."""
    from .services import next_document_number as _next

    return _next(sub_district_id=sub_district_id, year=year, prefix=prefix)


def store_document(
    *, owner, kind: str, filename: str, content: bytes, sub_district_id: int, acting_user=None
):
    """Keep a rendered document of owner (core.documents.services)."""
    from .services import store_document as _store

    return _store(
        owner=owner,
        kind=kind,
        filename=filename,
        content=content,
        sub_district_id=sub_district_id,
        acting_user=acting_user,
    )


def stored_document(*, owner, filename: str):
    """The stored document of owner by file name, or None (core.documents.selectors)."""
    from .selectors import stored_document as _get

    return _get(owner=owner, filename=filename)


__all__ = [
    "Heading",
    "OfficialDocument",
    "PageBreak",
    "Paragraph",
    "Table",
    "chinese_date",
    "next_document_number",
    "render_docx",
    "render_pdf",
    "store_document",
    "stored_document",
]
