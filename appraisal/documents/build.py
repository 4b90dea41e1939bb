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
    for unit in sorted(facts.computed.results.units, key=lambda u: u.unit_id):
        doc = letter(facts, unit.unit_id)
        for fmt in formats:
            yield f"{unit.unit_id}.{fmt}", RENDER[fmt](doc)
    doc = bulletin(facts)
    for fmt in formats:
        yield f"bulletin.{fmt}", RENDER[fmt](doc)
    yield "bulletin.xlsx", bulletin_xlsx(facts)
