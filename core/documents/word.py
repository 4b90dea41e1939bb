"""An official document as .docx (python-docx), in the GB/T 9704-2012 layout of
core.documents.layout: the page, the 22 × 28 document grid, the standard fonts named as
East-Asian fonts (w:eastAsia), the page number as a PAGE field in the footer, odd pages on the
right and even pages on the left (§7.5)."""

from __future__ import annotations

import datetime
import io
from zoneinfo import ZoneInfo

from docx import Document
from docx.enum.section import WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT, WD_TABLE_DIRECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from . import fonts
from .content import Heading, OfficialDocument, PageBreak, Paragraph, Table, chinese_date
from .layout import (
    BLOCK_W_MM,
    BODY_PT,
    BOTTOM_MM,
    CHAR_MM,
    COLOPHON_PT,
    DRAFT_MARK,
    LEFT_MM,
    LINE_PT,
    PAGE_H_MM,
    PAGE_NUMBER_BELOW_MM,
    PAGE_NUMBER_PT,
    PAGE_W_MM,
    RED_HEX,
    RIGHT_MM,
    TITLE_LINE_PT,
    TITLE_PT,
    TOP_MM,
    organ_pt,
    signature_offsets,
)

_ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
}
# the grid's character pitch, as Word counts it: the Normal font size plus charSpace/4096 pt
CHAR_SPACE = round((CHAR_MM / (25.4 / 72) - BODY_PT) * 4096)
LINE_PITCH_TWIPS = round(LINE_PT * 20)


def render_docx(doc: OfficialDocument) -> bytes:
    """The document as .docx bytes."""
    d = Document()
    _page(d)
    _normal_style(d)
    _core_properties(d, doc)
    _header_footer(d, doc)
    body = d.paragraphs[0] if d.paragraphs else None  # python-docx's template has none
    if body is not None:
        body._element.getparent().remove(body._element)
    _masthead(d, doc)
    _title(d, doc)
    if doc.addressee:
        p = _para(d, align="left")
        _run(p, doc.addressee, fonts.FANGSONG)
    for block in doc.body:
        _block(d, block)
    if doc.body and isinstance(doc.body[-1], Paragraph | Heading):
        # §7.3.5: no page of a signature and date alone; the text's last line goes with them
        d.paragraphs[-1].paragraph_format.keep_with_next = True
    _signature(d, doc)
    _colophon(d, doc)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


# --- the page --------------------------------------------------------------------------------


def _page(d) -> None:
    section = d.sections[0]
    section.start_type = WD_SECTION.NEW_PAGE
    section.page_width, section.page_height = Mm(PAGE_W_MM), Mm(PAGE_H_MM)
    section.top_margin, section.bottom_margin = Mm(TOP_MM), Mm(BOTTOM_MM)
    section.left_margin, section.right_margin = Mm(LEFT_MM), Mm(RIGHT_MM)
    section.header_distance = Mm(15)
    # the page number's top 7 mm below the block (§7.5): footer bottom = its top + one 4号 line
    number_h = PAGE_NUMBER_PT * 25.4 / 72 * 1.2
    section.footer_distance = Mm(BOTTOM_MM - PAGE_NUMBER_BELOW_MM - number_h)
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    # 22 lines of 28 characters (§5.2.2)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))
    d.settings.odd_and_even_pages_header_footer = True


def _normal_style(d) -> None:
    style = d.styles["Normal"]
    _fonts(style.element.get_or_add_rPr(), fonts.FANGSONG)
    style.font.size = Pt(BODY_PT)
    pf = style.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = Pt(LINE_PT)
    pf.space_before = pf.space_after = Pt(0)
    pf.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    pf.widow_control = False
    # docDefaults too: Word measures the grid's charSpace from the default font size
    rpr_default = d.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault"))
    rpr = rpr_default.find(qn("w:rPr"))
    _fonts(rpr, fonts.FANGSONG)
    for tag in ("w:sz", "w:szCs"):
        el = rpr.find(qn(tag))
        if el is None:
            el = OxmlElement(tag)
            rpr.append(el)
        el.set(qn("w:val"), str(int(BODY_PT * 2)))


def _core_properties(d, doc: OfficialDocument) -> None:
    cp = d.core_properties
    cp.title = doc.metadata_title()
    cp.author = doc.signature or doc.organ
    cp.last_modified_by = ""
    cp.comments = ""
    cp.keywords = ""
    cp.subject = doc.number
    cp.language = "zh-CN"
    cp.revision = 1
    when = datetime.datetime(
        doc.date.year, doc.date.month, doc.date.day, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    cp.created = cp.modified = when


def _header_footer(d, doc: OfficialDocument) -> None:
    section = d.sections[0]
    for header in (section.header, section.even_page_header):
        header.is_linked_to_previous = False
        p = header.paragraphs[0]
        if doc.draft:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _run(p, DRAFT_MARK, fonts.HEITI, size=14, color=RED_HEX)
    for footer, align, side in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT, "right"),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT, "left"),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        pf = p.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        # one character in from the block's edge (§7.5)
        if side == "right":
            pf.right_indent = Mm(CHAR_MM)
        else:
            pf.left_indent = Mm(CHAR_MM)
        _page_number(p)


def _page_number(p) -> None:
    """ "— N —" in 4号 宋体, the number half-width (§7.5), N a PAGE field."""
    _run(p, "— ", fonts.SONGTI, size=PAGE_NUMBER_PT, latin=fonts.SONGTI.standard)
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), " PAGE ")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    _fonts(rpr, fonts.SONGTI, latin=fonts.SONGTI.standard)
    _size(rpr, PAGE_NUMBER_PT)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = "1"
    r.append(t)
    field.append(r)
    p._p.append(field)
    _run(p, " —", fonts.SONGTI, size=PAGE_NUMBER_PT, latin=fonts.SONGTI.standard)


# --- runs and paragraphs ---------------------------------------------------------------------


def _fonts(rpr, face: fonts.Face, latin: str = fonts.LATIN) -> None:
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    rfonts.set(qn("w:ascii"), latin)
    rfonts.set(qn("w:hAnsi"), latin)
    rfonts.set(qn("w:eastAsia"), face.standard)
    rfonts.set(qn("w:cs"), latin)
    rfonts.set(qn("w:hint"), "eastAsia")


def _size(rpr, pt: float) -> None:
    for tag in ("w:sz", "w:szCs"):
        el = OxmlElement(tag)
        el.set(qn("w:val"), str(round(pt * 2)))
        rpr.append(el)


def _run(
    p,
    text: str,
    face: fonts.Face,
    *,
    size: float = BODY_PT,
    bold: bool = False,
    color: str | None = None,
    latin: str = fonts.LATIN,
):
    run = p.add_run(text)
    _fonts(run._element.get_or_add_rPr(), face, latin=latin)
    run.font.size = Pt(size)
    if bold or face.bold:
        run.font.bold = True
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def _para(
    d,
    *,
    align: str = "justify",
    indent: bool = False,
    line_pt: float | None = None,
    grid: bool = True,
):
    p = d.add_paragraph()
    pf = p.paragraph_format
    pf.alignment = _ALIGN[align]
    if indent:
        # two characters (the grid's), firstLineChars for Word, firstLine for other readers
        pf.first_line_indent = Mm(2 * CHAR_MM)
        p._p.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
    if line_pt is not None:
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(line_pt)
    if not grid:
        _no_grid(p._p.get_or_add_pPr())
    return p


def _no_grid(ppr) -> None:
    """Text larger or smaller than 3号 keeps its own pitch: on the grid Word would widen each
    character to a whole number of grid cells."""
    el = OxmlElement("w:snapToGrid")
    el.set(qn("w:val"), "0")
    ppr.append(el)
    _reorder_ppr(ppr)


_PPR_ORDER = [
    "pStyle", "keepNext", "keepLines", "pageBreakBefore", "framePr", "widowControl", "numPr",
    "suppressLineNumbers", "pBdr", "shd", "tabs", "suppressAutoHyphens", "kinsoku", "wordWrap",
    "overflowPunct", "topLinePunct", "autoSpaceDE", "autoSpaceDN", "bidi", "adjustRightInd",
    "snapToGrid", "spacing", "ind", "contextualSpacing", "mirrorIndents", "suppressOverlap", "jc",
    "textDirection", "textAlignment", "textboxTightWrap", "outlineLvl", "divId", "cnfStyle",
    "rPr", "sectPr", "pPrChange",
]  # fmt: skip


def _reorder_ppr(ppr) -> None:
    """Children of w:pPr in the schema's order (Word refuses a file otherwise)."""
    rank = {qn(f"w:{name}"): i for i, name in enumerate(_PPR_ORDER)}
    children = sorted(ppr, key=lambda el: rank.get(el.tag, len(rank)))
    for el in children:
        ppr.remove(el)
        ppr.append(el)


def _border(p, side: str, *, sz_eighths: int, color: str = "000000", space_pt: int = 1) -> None:
    ppr = p._p.get_or_add_pPr()
    bdr = ppr.find(qn("w:pBdr"))
    if bdr is None:
        bdr = OxmlElement("w:pBdr")
        ppr.append(bdr)
    el = OxmlElement(f"w:{side}")
    el.set(qn("w:val"), "single")
    el.set(qn("w:sz"), str(sz_eighths))
    el.set(qn("w:space"), str(space_pt))
    el.set(qn("w:color"), color)
    bdr.append(el)
    _reorder_ppr(ppr)


def _blank(d, lines: int = 1) -> None:
    for _ in range(lines):
        d.add_paragraph()


# --- the parts of the document ---------------------------------------------------------------


def _masthead(d, doc: OfficialDocument) -> None:
    """发文机关标志 35 mm below the block's top edge, red 小标宋; the number two lines under it;
    the red line 4 mm under the number (§7.2)."""
    pt = organ_pt(doc.organ)
    p = _para(d, align="center", line_pt=pt * 1.15, grid=False)
    p.paragraph_format.space_before = Mm(35)
    _run(p, doc.organ, fonts.XIAOBIAOSONG, size=pt, color=RED_HEX)
    _blank(d, 2)
    p = _para(d, align="center")
    if doc.number:
        _run(p, doc.number, fonts.FANGSONG)
    # the red separator as the bottom border of the number's paragraph, 4 mm below it
    _border(p, "bottom", sz_eighths=12, color=RED_HEX, space_pt=11)


def _title(d, doc: OfficialDocument) -> None:
    _blank(d, 1)
    p = _para(d, align="center", line_pt=TITLE_LINE_PT, grid=False)
    p.paragraph_format.space_before = Pt(LINE_PT)
    _run(p, doc.title, fonts.XIAOBIAOSONG, size=TITLE_PT)
    _blank(d, 1)


def _block(d, block) -> None:
    if isinstance(block, PageBreak):
        p = d.add_paragraph()
        p.add_run().add_break(WD_BREAK.PAGE)
    elif isinstance(block, Heading):
        p = _para(d, indent=True)
        face = fonts.HEITI if block.level == 1 else fonts.KAITI
        _run(p, block.text, face)
        outline = OxmlElement("w:outlineLvl")
        outline.set(qn("w:val"), str(block.level - 1))
        p._p.get_or_add_pPr().append(outline)
        _reorder_ppr(p._p.get_or_add_pPr())
    elif isinstance(block, Paragraph):
        p = _para(d, align=block.align, indent=block.indent)
        _run(p, block.text, fonts.FANGSONG_BOLD if block.bold else fonts.FANGSONG)
    elif isinstance(block, Table):
        _table(d, block)


def _table(d, table: Table) -> None:
    if table.caption:
        p = _para(d, align="center")
        p.paragraph_format.keep_with_next = True
        _run(p, table.caption, fonts.HEITI)
    n = len(table.header)
    if table.widths_mm is None:
        widths = [BLOCK_W_MM / n] * n
    else:
        scale = min(1.0, BLOCK_W_MM / sum(table.widths_mm))
        widths = [w * scale for w in table.widths_mm]
    t = d.add_table(rows=1 + len(table.rows), cols=n)
    t.style = d.styles["Table Grid"]
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.table_direction = WD_TABLE_DIRECTION.LTR
    t.autofit = False
    aligns = table.column_aligns()
    line_pt = table.font_pt * 1.45
    for r, row in enumerate(t.rows):
        tr_pr = row._tr.get_or_add_trPr()
        cant = OxmlElement("w:cantSplit")
        tr_pr.append(cant)
        if r == 0:
            # the header row repeats at the top of each page the table runs on
            header = OxmlElement("w:tblHeader")
            tr_pr.append(header)
        texts = table.header if r == 0 else table.rows[r - 1]
        for c, cell in enumerate(row.cells):
            cell.width = Mm(widths[c])
            cell.vertical_alignment = 1  # WD_CELL_VERTICAL_ALIGNMENT.CENTER
            p = cell.paragraphs[0]
            pf = p.paragraph_format
            pf.alignment = _ALIGN["center" if r == 0 else aligns[c]]
            pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            pf.line_spacing = Pt(line_pt)
            pf.first_line_indent = Pt(0)  # table text is not indented
            _no_grid(p._p.get_or_add_pPr())
            _run(p, str(texts[c]), fonts.FANGSONG, size=table.font_pt, bold=r == 0)
    for c, col in enumerate(t.columns):
        col.width = Mm(widths[c])
    # after a table Word needs a paragraph; it also parts the table from what follows
    d.add_paragraph()


def _signature(d, doc: OfficialDocument) -> None:
    """Without a seal (§7.3.5.2): one blank line under the text, the signature two characters
    from the right, the date under it starting two characters right of the signature."""
    date_text = chinese_date(doc.date)
    sig_right, date_right = signature_offsets(doc.signature, date_text)
    _blank(d, 1)
    d.paragraphs[-1].paragraph_format.keep_with_next = True
    if doc.signature:
        p = _para(d, align="right")
        p.paragraph_format.right_indent = Mm(sig_right * CHAR_MM)
        p.paragraph_format.keep_with_next = True
        _run(p, doc.signature, fonts.FANGSONG)
    p = _para(d, align="right")
    p.paragraph_format.right_indent = Mm(date_right * CHAR_MM)
    _run(p, date_text, fonts.FANGSONG)


def _colophon(d, doc: OfficialDocument) -> None:
    """版记 (§7.4): 抄送 and the printing organ with the date in 4号, one character in from
    each side, between thick lines (0.35 mm) with a thin one (0.25 mm) between them."""
    if not doc.copy_to and not doc.printed_by:
        return
    _blank(d, 1)
    paras = []
    if doc.copy_to:
        p = _para(d, align="left", grid=False, line_pt=LINE_PT)
        _run(p, f"\u3000抄送：{doc.copy_to}", fonts.FANGSONG, size=COLOPHON_PT)
        paras.append(p)
    if doc.printed_by:
        p = _para(d, align="left", grid=False, line_pt=LINE_PT)
        _run(p, f"\u3000{doc.printed_by}", fonts.FANGSONG, size=COLOPHON_PT)
        tab_stop = Mm(BLOCK_W_MM - CHAR_MM)
        p.paragraph_format.tab_stops.add_tab_stop(tab_stop, alignment=2)  # WD_TAB_ALIGNMENT.RIGHT
        _run(p, f"\t{chinese_date(doc.date)}印发", fonts.FANGSONG, size=COLOPHON_PT)
        paras.append(p)
    for i, p in enumerate(paras):
        # one character in from each side by an ideographic space and the tab stop: Word
        # draws a paragraph's border at its indents, and the lines span the block
        p.paragraph_format.keep_with_next = i < len(paras) - 1
        _border(p, "top", sz_eighths=8 if i == 0 else 6)
        if i == len(paras) - 1:
            _border(p, "bottom", sz_eighths=8)
