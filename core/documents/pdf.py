"""An official document as PDF (fpdf2), in the GB/T 9704-2012 layout of core.documents.layout.

Text is laid out here rather than by fpdf2's multi_cell: CJK text breaks between any two
characters, lines are justified over the 156 mm block by character spacing (Tc), the 28
characters of the grid fit a line, closing punctuation never starts a line (避头尾), and a
table's header row is drawn again at the top of every page the table continues on.
"""

from __future__ import annotations

import datetime
import logging
import math
from zoneinfo import ZoneInfo

from . import fonts
from .content import (
    Heading,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Table,
    chinese_date,
)
from .layout import (
    BLOCK_H_MM,
    BLOCK_W_MM,
    BODY_PT,
    CHAR_MM,
    COLOPHON_PT,
    DRAFT_MARK,
    LEFT_MM,
    LINE_MM,
    MM_PER_PT,
    PAGE_NUMBER_BELOW_MM,
    PAGE_NUMBER_PT,
    RED,
    TITLE_LINE_PT,
    TITLE_PT,
    TOP_MM,
    break_lines,
    organ_pt,
    signature_offsets,
)

# fontTools logs every table of every subset at INFO, warns that it drops gkai00mp's mort table
# (unused: no ligatures in Chinese text) and that its glyf table has 4 bytes
# of padding too many
logging.getLogger("fontTools.subset").setLevel(logging.ERROR)
logging.getLogger("fontTools.ttLib.tables._g_l_y_f").setLevel(logging.ERROR)

BOTTOM_Y = TOP_MM + BLOCK_H_MM
RIGHT_X = LEFT_MM + BLOCK_W_MM
EPS = 0.01
CELL_PAD_X, CELL_PAD_Y = 1.5, 1.2  # mm
CELL_LINE = 1.45  # a table line's height, in font sizes
RULE_RED_MM = 0.6  # the red separator under the organ mark
RULE_THICK_MM, RULE_THIN_MM = 0.35, 0.25  # 版记 (§7.4.1)


def render_pdf(doc: OfficialDocument) -> bytes:
    """The document as PDF bytes: A4, fonts embedded (subsets), text extractable."""
    return _Renderer(doc).render()


class _Renderer:
    def __init__(self, doc: OfficialDocument) -> None:
        from fpdf import FPDF

        self.doc = doc
        renderer = self

        class _Pdf(FPDF):
            def header(self) -> None:
                renderer._draft_mark()

            def footer(self) -> None:
                renderer._page_number()

        pdf = _Pdf(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(LEFT_MM, TOP_MM, RIGHT_X)
        pdf.c_margin = 0
        self._loaded: set[str] = set()
        # the reduced faces unless a character is outside their charset (fonts.pdf_font)
        self._text = _document_text(doc)
        pdf.set_title(doc.metadata_title())
        pdf.set_author(doc.signature)
        pdf.set_creator("GB/T 9704-2012")
        pdf.set_creation_date(
            datetime.datetime(
                doc.date.year, doc.date.month, doc.date.day, tzinfo=ZoneInfo("Asia/Shanghai")
            )
        )
        pdf.set_lang("zh-CN")
        self.pdf = pdf
        self.y = TOP_MM
        self._widths: dict[tuple[str, float, str], float] = {}

    # --- measuring and drawing text --------------------------------------------------------

    def _font(self, face: fonts.Face, pt: float) -> None:
        if face.key not in self._loaded:
            # only the fonts a document uses are parsed and embedded
            fonts.require(face)
            path, index = fonts.pdf_font(face.path, face.index, text=self._text)
            self.pdf.add_font(face.key, fname=path, collection_font_number=index)
            self._loaded.add(face.key)
        self.pdf.set_font(face.key, size=pt)
        self._face, self._pt = face, pt

    def _natural(self, s: str) -> float:
        total = 0.0
        for c in s:
            key = (self._face.key, self._pt, c)
            w = self._widths.get(key)
            if w is None:
                w = self.pdf.get_string_width(c)
                self._widths[key] = w
            total += w
        return total

    def _base_spacing_mm(self) -> float:
        """The spacing that makes a full-width character of this size take the grid's pitch
        (28 to the 156 mm line at 16 pt): never more than the pitch, never widening."""
        em = self._pt * MM_PER_PT
        pitch = CHAR_MM * self._pt / BODY_PT
        return min(0.0, pitch - em)

    def _measure(self, s: str) -> float:
        if not s:
            return 0.0
        return self._natural(s) + (len(s) - 1) * self._base_spacing_mm()

    def _draw(self, x: float, baseline: float, s: str, spacing_mm: float) -> None:
        self.pdf.set_char_spacing(spacing_mm / MM_PER_PT)  # Tc is in points
        self.pdf.text(x, baseline, s)
        self.pdf.set_char_spacing(0)

    def _line(
        self, s: str, *, x0: float, width: float, align: str, last: bool, box_top: float, box_h
    ) -> None:
        """One line of text in the box [x0, x0+width] × [box_top, box_top+box_h]."""
        base = self._base_spacing_mm()
        used = self._measure(s)
        spacing = base
        x = x0
        if align == "justify" and not last and len(s) > 1 and used < width:
            spacing = base + (width - used) / (len(s) - 1)
        elif align == "center":
            x = x0 + (width - used) / 2
        elif align == "right":
            x = x0 + width - used
        em = self._pt * MM_PER_PT
        # an ideographic em box sits from 0.12 em below the baseline to 0.88 em above it
        baseline = box_top + box_h / 2 + 0.38 * em
        self._draw(x, baseline, s, spacing)

    # --- page flow -------------------------------------------------------------------------

    def _new_page(self) -> None:
        self.pdf.add_page()
        self.y = TOP_MM

    def _room(self, h: float) -> None:
        if self.y + h > BOTTOM_Y + EPS:
            self._new_page()

    def _snap(self) -> None:
        """Back onto the 22-line grid after a table or the title."""
        lines = math.ceil((self.y - TOP_MM) / LINE_MM - EPS)
        self.y = TOP_MM + lines * LINE_MM

    def _text_block(
        self,
        text: str,
        face: fonts.Face,
        *,
        pt: float = BODY_PT,
        align: str = "justify",
        indent_chars: float = 0.0,
        right_chars: float = 0.0,
        pitch: float = LINE_MM,
        color: tuple[int, int, int] = (0, 0, 0),
        balance: bool = False,
        keep_last_with: float = 0.0,
    ) -> None:
        """keep_last_with: the height (mm) of what must follow the last line on its page."""
        self._font(face, pt)
        self.pdf.set_text_color(*color)
        x0 = LEFT_MM
        width = BLOCK_W_MM - right_chars * CHAR_MM
        indent = indent_chars * CHAR_MM
        lines = break_lines(text, width, self._measure, first_indent=indent)
        if balance and len(lines) > 1:
            lines = self._balanced(text, width, len(lines))
        carry = keep_last_with > 0 and self._last_line_alone(len(lines), pitch, keep_last_with)
        for i, line in enumerate(lines):
            if carry and i == len(lines) - 1:
                self._new_page()
            self._room(pitch)
            first = i == 0
            self._line(
                line,
                x0=x0 + (indent if first else 0.0),
                width=width - (indent if first else 0.0),
                align=align,
                last=i == len(lines) - 1,
                box_top=self.y,
                box_h=pitch,
            )
            self.y += pitch
        self.pdf.set_text_color(0, 0, 0)

    def _last_line_alone(self, n: int, pitch: float, follow: float) -> bool:
        """Whether what follows n lines from here would start a page of its own, and the last
        line is not the first of its page (then it moves to the next page with it)."""
        y, last_top = self.y, self.y
        for _ in range(n):
            if y + pitch > BOTTOM_Y + EPS:
                y = TOP_MM
            last_top = y
            y += pitch
        return y + follow > BOTTOM_Y + EPS and last_top > TOP_MM + EPS

    def _balanced(self, text: str, width: float, n: int) -> list[str]:
        """A title's lines of even length (§7.3.1: 排列对称, 长短适宜): the narrowest width that
        still takes n lines."""
        lo, hi = width / n, width
        for _ in range(12):
            mid = (lo + hi) / 2
            if len(break_lines(text, mid, self._measure)) > n:
                lo = mid
            else:
                hi = mid
        return break_lines(text, hi, self._measure)

    # --- the parts of the document ---------------------------------------------------------

    def render(self) -> bytes:
        doc = self.doc
        self._new_page()
        self._masthead()
        self._title()
        if doc.addressee:
            self._text_block(doc.addressee, fonts.FANGSONG, align="left")
        for i, block in enumerate(doc.body):
            # §7.3.5: no page of a signature and date alone; the text's last line goes with them
            last = i == len(doc.body) - 1
            if last:
                keep = self._signature_height()
            elif isinstance(block, Heading):
                # a heading is never alone at a page's foot: it goes with what it heads
                keep = 3 * LINE_MM if isinstance(doc.body[i + 1], Table) else 2 * LINE_MM
            else:
                keep = 0.0
            self._block(block, keep_last_with=keep)
        self._signature()
        self._colophon()
        return bytes(self.pdf.output())

    def _masthead(self) -> None:
        """发文机关标志 35 mm below the block's top edge, the number two lines under it, the red
        line 4 mm under the number (§7.2.3-§7.2.6)."""
        doc, pdf = self.doc, self.pdf
        pt = organ_pt(doc.organ)
        self._font(fonts.XIAOBIAOSONG, pt)
        pdf.set_text_color(*RED)
        em = pt * MM_PER_PT
        top = TOP_MM + 35.0
        self._line(
            doc.organ,
            x0=LEFT_MM,
            width=BLOCK_W_MM,
            align="center",
            last=True,
            box_top=top,
            box_h=em,
        )
        pdf.set_text_color(0, 0, 0)
        y = top + em + 2 * LINE_MM
        if doc.number:
            self._font(fonts.FANGSONG, BODY_PT)
            self._line(
                doc.number,
                x0=LEFT_MM,
                width=BLOCK_W_MM,
                align="center",
                last=True,
                box_top=y,
                box_h=LINE_MM,
            )
        y += LINE_MM
        rule_y = y + 4.0
        pdf.set_draw_color(*RED)
        pdf.set_line_width(RULE_RED_MM)
        pdf.line(LEFT_MM, rule_y, RIGHT_X, rule_y)
        pdf.set_draw_color(0, 0, 0)
        self.y = rule_y
        self._snap()
        self.y += LINE_MM  # a blank line between the rule and the title (§7.3.1)

    def _title(self) -> None:
        pitch = TITLE_LINE_PT * MM_PER_PT
        self._text_block(
            self.doc.title,
            fonts.XIAOBIAOSONG,
            pt=TITLE_PT,
            align="center",
            pitch=pitch,
            balance=True,
        )
        self._snap()
        self.y += LINE_MM  # one blank line before the addressee (§7.3.2)

    def _block(self, block, *, keep_last_with: float = 0.0) -> None:
        if isinstance(block, PageBreak):
            self._new_page()
        elif isinstance(block, Heading):
            face = fonts.HEITI if block.level == 1 else fonts.KAITI
            self._text_block(block.text, face, indent_chars=2, keep_last_with=keep_last_with)
        elif isinstance(block, Paragraph):
            face = fonts.FANGSONG_BOLD if block.bold else fonts.FANGSONG
            self._text_block(
                block.text,
                face,
                align=block.align,
                indent_chars=2 if block.indent else 0,
                keep_last_with=keep_last_with,
            )
        elif isinstance(block, Table):
            self._table(block)

    def _signature_height(self) -> float:
        """A blank line, the signature (if any) and the date."""
        return (3 if self.doc.signature else 2) * LINE_MM

    def _signature(self) -> None:
        """Without a seal (§7.3.5.2): one blank line under the text, then the signature and
        the date under it, both on the right."""
        doc = self.doc
        date_text = chinese_date(doc.date)
        sig_right, date_right = signature_offsets(doc.signature, date_text)
        self.y += LINE_MM
        self._room(self._signature_height() - LINE_MM)  # the signature and its date together
        if doc.signature:
            self._text_block(doc.signature, fonts.FANGSONG, align="right", right_chars=sig_right)
        self._text_block(date_text, fonts.FANGSONG, align="right", right_chars=date_right)

    def _colophon(self) -> None:
        """版记 at the foot of the last page (§7.4): 抄送 and the printing organ with the date,
        between a thick line above and below and a thin line between them."""
        doc, pdf = self.doc, self.pdf
        if not doc.copy_to and not doc.printed_by:
            return
        rows: list[tuple[str, str]] = []
        if doc.copy_to:
            rows.append((f"抄送：{doc.copy_to}", ""))
        if doc.printed_by:
            rows.append((doc.printed_by, f"{chinese_date(doc.date)}印发"))
        self._font(fonts.FANGSONG, COLOPHON_PT)
        pitch = LINE_MM
        x0 = LEFT_MM + CHAR_MM * COLOPHON_PT / BODY_PT  # one character in from each side
        width = BLOCK_W_MM - 2 * CHAR_MM * COLOPHON_PT / BODY_PT
        wrapped = [(break_lines(left, width, self._measure), right) for left, right in rows]
        height = sum(len(lines) for lines, _ in wrapped) * pitch
        if self.y + height > BOTTOM_Y + EPS:
            self._new_page()
        y = BOTTOM_Y - height
        pdf.set_draw_color(0, 0, 0)
        pdf.set_line_width(RULE_THICK_MM)
        pdf.line(LEFT_MM, y, RIGHT_X, y)
        for i, (lines, right) in enumerate(wrapped):
            if i > 0:
                pdf.set_line_width(RULE_THIN_MM)
                pdf.line(LEFT_MM, y, RIGHT_X, y)
            for j, line in enumerate(lines):
                self._line(
                    line, x0=x0, width=width, align="left", last=True, box_top=y, box_h=pitch
                )
                if right and j == len(lines) - 1:
                    self._line(
                        right,
                        x0=x0,
                        width=width,
                        align="right",
                        last=True,
                        box_top=y,
                        box_h=pitch,
                    )
                y += pitch
        pdf.set_line_width(RULE_THICK_MM)
        pdf.line(LEFT_MM, y, RIGHT_X, y)
        self.y = y

    # --- tables (§8: the table in the block, a full grid) ----------------------------------

    def _table(self, table: Table) -> None:
        pdf = self.pdf
        widths = _column_widths(table)
        x_start = LEFT_MM + (BLOCK_W_MM - sum(widths)) / 2
        aligns = table.column_aligns()
        line_h = table.font_pt * MM_PER_PT * CELL_LINE

        def layout(cells, face):
            self._font(face, table.font_pt)
            wrapped = [
                break_lines(str(text), w - 2 * CELL_PAD_X, self._measure)
                for text, w in zip(cells, widths, strict=True)
            ]
            height = max(len(lines) for lines in wrapped) * line_h + 2 * CELL_PAD_Y
            return wrapped, height

        def draw(wrapped, height, face, aligns_):
            self._font(face, table.font_pt)
            pdf.set_line_width(0.2)
            pdf.set_draw_color(0, 0, 0)
            x = x_start
            for lines, w, align in zip(wrapped, widths, aligns_, strict=True):
                pdf.rect(x, self.y, w, height)
                # a cell's lines are centred vertically in its row
                top = self.y + (height - len(lines) * line_h) / 2
                for k, line in enumerate(lines):
                    self._line(
                        line,
                        x0=x + CELL_PAD_X,
                        width=w - 2 * CELL_PAD_X,
                        align=align,
                        last=True,
                        box_top=top + k * line_h,
                        box_h=line_h,
                    )
                x += w
            self.y += height

        header, header_h = layout(table.header, fonts.FANGSONG_BOLD)
        header_aligns = ["center"] * len(widths)
        rows = [layout(row, fonts.FANGSONG) for row in table.rows]
        first_h = header_h + (rows[0][1] if rows else 0.0)
        if table.caption:
            # the caption stays with the header and the first row (never alone at a page's foot)
            self._room(LINE_MM + first_h)
            self._text_block(table.caption, fonts.HEITI, align="center")
        self._room(first_h)  # never a header alone at the foot of a page
        draw(header, header_h, fonts.FANGSONG_BOLD, header_aligns)
        for wrapped, height in rows:
            if self.y + height > BOTTOM_Y + EPS:
                self._new_page()
                draw(header, header_h, fonts.FANGSONG_BOLD, header_aligns)
            draw(wrapped, height, fonts.FANGSONG, aligns)
        self._snap()

    # --- marks on every page ---------------------------------------------------------------

    def _draft_mark(self) -> None:
        if not self.doc.draft:
            return
        self._font(fonts.HEITI, 14)
        self.pdf.set_text_color(*RED)
        self._line(
            DRAFT_MARK,
            x0=LEFT_MM,
            width=BLOCK_W_MM,
            align="center",
            last=True,
            box_top=TOP_MM - 16,
            box_h=8,
        )
        self.pdf.set_text_color(0, 0, 0)

    def _page_number(self) -> None:
        """ "— N —" 7 mm below the block; odd pages on the right, even on the left, one
        character in (§7.5)."""
        n = self.pdf.page_no()
        text = f"— {n} —"
        self._font(fonts.SONGTI, PAGE_NUMBER_PT)
        self.pdf.set_text_color(0, 0, 0)
        em = PAGE_NUMBER_PT * MM_PER_PT
        self._line(
            text,
            x0=LEFT_MM + CHAR_MM,
            width=BLOCK_W_MM - 2 * CHAR_MM,
            align="right" if n % 2 else "left",
            last=True,
            box_top=BOTTOM_Y + PAGE_NUMBER_BELOW_MM,
            box_h=em,
        )


def _document_text(doc: OfficialDocument) -> str:
    """Every character the PDF draws (the fixed words are in the reduced charset anyway)."""
    parts = [doc.organ, doc.number, doc.title, doc.addressee, doc.signature]
    parts += [doc.copy_to, doc.printed_by, DRAFT_MARK]
    for block in doc.body:
        if isinstance(block, Table):
            parts += [block.caption, *block.header, *(cell for row in block.rows for cell in row)]
        elif isinstance(block, (Paragraph, Heading)):
            parts.append(block.text)
    return "".join(parts)


def _column_widths(table: Table) -> list[float]:
    n = len(table.header)
    if table.widths_mm is None:
        return [BLOCK_W_MM / n] * n
    total = sum(table.widths_mm)
    scale = min(1.0, BLOCK_W_MM / total)  # never wider than the block
    return [w * scale for w in table.widths_mm]
