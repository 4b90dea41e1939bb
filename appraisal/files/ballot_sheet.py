"""The sheet of ballot codes of an online democratic evaluation (民主测评, Art. 15): A4 pages of
12 QR codes (3 × 4) with dashed cut lines; each slip names the community, the meeting and its
date and prints the code under its QR, for a member who types it instead of scanning.

QR codes by segno, the PDF by fpdf2 (it embeds the reduced TrueType face of the CFF-flavoured
Noto CJK collection Debian installs, which reportlab cannot load, or the collection itself). The
sheet is built from tokens that exist only in the request that minted them: it is never stored
and cannot be downloaded again.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import date

from core.documents.fonts import cjk_font

PAGE_W, PAGE_H = 210.0, 297.0  # A4, mm
COLS, ROWS = 3, 4
CELL_W, CELL_H = PAGE_W / COLS, PAGE_H / ROWS
QR_MM = 42.0


def _qr_png(url: str) -> io.BytesIO:
    import segno

    buffer = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buffer, kind="png", scale=6, border=2)
    buffer.seek(0)
    return buffer


def _chunks(items: Sequence, n: int) -> Iterable[Sequence]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def ballot_sheet_pdf(
    *,
    community: str,
    title: str,
    held_on: date,
    codes: Sequence[tuple[str, str]],
    heading: str,
    hint: str,
) -> bytes:
    """codes: (url to encode, code as printed) per slip, in order."""
    from fpdf import FPDF

    # the reduced face when every character printed is in its charset (core.documents.fontcache)
    printed_text = [community, title, heading, hint, *(printed for _url, printed in codes)]
    path, index = cjk_font(text="".join(printed_text))
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_title(f"{community} {title}")
    per_page = COLS * ROWS
    for page in _chunks(list(codes), per_page):
        pdf.add_page()
        _cut_lines(pdf)
        for i, (url, printed) in enumerate(page):
            x0 = (i % COLS) * CELL_W
            y0 = (i // COLS) * CELL_H
            pdf.set_text_color(0, 0, 0)
            pdf.set_font("cjk", size=10)
            pdf.set_xy(x0 + 3, y0 + 4)
            pdf.cell(CELL_W - 6, 5, community, align="C")
            pdf.set_font("cjk", size=8)
            pdf.set_xy(x0 + 3, y0 + 9.5)
            pdf.cell(CELL_W - 6, 4, f"{title} · {held_on.isoformat()}", align="C")
            pdf.set_xy(x0 + 3, y0 + 13.5)
            pdf.cell(CELL_W - 6, 4, heading, align="C")
            pdf.image(_qr_png(url), x=x0 + (CELL_W - QR_MM) / 2, y=y0 + 18, w=QR_MM, h=QR_MM)
            pdf.set_font("cjk", size=8.5)
            pdf.set_xy(x0 + 2, y0 + 18 + QR_MM + 1)
            pdf.cell(CELL_W - 4, 4.5, printed, align="C")
            pdf.set_font("cjk", size=7)
            pdf.set_text_color(90, 90, 90)
            pdf.set_xy(x0 + 3, y0 + 18 + QR_MM + 6)
            pdf.cell(CELL_W - 6, 4, hint, align="C")
    return bytes(pdf.output())


def _cut_lines(pdf) -> None:
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.2)
    with pdf.local_context():
        pdf.set_dash_pattern(dash=2, gap=1.5)
        for c in range(1, COLS):
            pdf.line(c * CELL_W, 0, c * CELL_W, PAGE_H)
        for r in range(1, ROWS):
            pdf.line(0, r * CELL_H, PAGE_W, r * CELL_H)
