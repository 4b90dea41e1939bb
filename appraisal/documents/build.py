"""The year's documents as files: `<unit code>.docx|.pdf` per community and
`bulletin.docx|.pdf|.xlsx` — what the publication stores and `year_documents` writes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from core.documents import render_docx, render_pdf

from ..models import AssessmentYear
from .bulletin import bulletin, bulletin_xlsx
from .facts import YearFacts, year_facts
from .letters import letter

FORMATS = ("docx", "pdf")
RENDER = {"docx": render_docx, "pdf": render_pdf}


def document_count(facts: YearFacts, formats: Iterable[str]) -> int:
    formats = [f for f in formats if f in RENDER]
    return (facts.unit_count + 1) * len(formats) + 1


def letter_files(
    facts: YearFacts, code: str, formats: Iterable[str] = FORMATS
) -> Iterator[tuple[str, bytes]]:
    """The feedback letter of the unit `code` in each format (rendering reads nothing)."""
    doc = letter(facts, code)
    for fmt in formats:
        if fmt in RENDER:
            yield f"{code}.{fmt}", RENDER[fmt](doc)


def bulletin_files(
    facts: YearFacts, formats: Iterable[str] = FORMATS
) -> Iterator[tuple[str, bytes]]:
    doc = bulletin(facts)
    for fmt in formats:
        if fmt in RENDER:
            yield f"bulletin.{fmt}", RENDER[fmt](doc)
    yield "bulletin.xlsx", bulletin_xlsx(facts)


def unit_codes(facts: YearFacts) -> list[str]:
    """The letters' order: by unit code."""
    return sorted(u.unit_id for u in facts.computed.results.units)


def year_documents(
    *,
    year: AssessmentYear | None = None,
    facts: YearFacts | None = None,
    draft: bool | None = None,
    formats: Iterable[str] = FORMATS,
) -> Iterator[tuple[str, bytes]]:
    """(filename, content) of every letter (in unit-code order), then the bulletin. draft=None:
    final for a published year, marked 草稿 otherwise; draft=False on an unpublished year raises
    facts.NotPublished. All reading happens before the first document (a fixed number of
    queries); rendering reads nothing."""
    if facts is None:
        facts = year_facts(year, draft=draft)
    formats = [f for f in formats if f in RENDER]
    for code in unit_codes(facts):
        yield from letter_files(facts, code, formats)
    yield from bulletin_files(facts, formats)
