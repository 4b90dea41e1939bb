"""The GB/T 9704-2012 page (党政机关公文格式) both renderers follow: A4, text block 156 × 225 mm
at 37 mm from the top and 28 mm from the left, 22 lines of 28 characters of 3号 (16 pt) 仿宋."""

from __future__ import annotations

import unicodedata

PAGE_W_MM, PAGE_H_MM = 210.0, 297.0
TOP_MM, LEFT_MM = 37.0, 28.0  # §5.2.1
BLOCK_W_MM, BLOCK_H_MM = 156.0, 225.0
RIGHT_MM = PAGE_W_MM - LEFT_MM - BLOCK_W_MM  # 26
BOTTOM_MM = PAGE_H_MM - TOP_MM - BLOCK_H_MM  # 35
LINES, CHARS = 22, 28  # §5.2.2
CHAR_MM = BLOCK_W_MM / CHARS  # ≈ 5.571 mm: the grid's character pitch
LINE_MM = BLOCK_H_MM / LINES  # ≈ 10.227 mm
LINE_PT = 28.95  # exact line spacing of the docx (579 twips ≈ LINE_MM)
TITLE_LINE_PT = 36.0  # exact line spacing of a title that wraps

BODY_PT = 16.0  # 3号
TITLE_PT = 22.0  # 2号
PAGE_NUMBER_PT = 14.0  # 4号
COLOPHON_PT = 14.0  # 版记, 4号 (§7.4.1)
ORGAN_MAX_PT = 42.0  # 初号; smaller when the organ's name would be wider than the block
PAGE_NUMBER_BELOW_MM = 7.0  # §7.5: the dash line is 7 mm below the text block

RED = (0xE6, 0x00, 0x12)
RED_HEX = "E60012"

DRAFT_MARK = "草稿 — 未公布，仅供核对"

# 避头尾: a line must not start with closing punctuation nor end with opening punctuation
NO_LINE_START = set("，。、；：？！）》」』”’】〕〉…—·％%,.;:?!)]}")
NO_LINE_END = set("（《「『“‘【〔〈([{")

MM_PER_PT = 25.4 / 72


def chars_wide(text: str) -> float:
    """Width in grid characters: a full-width character is one, anything else half."""
    return sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text)


def organ_pt(organ: str) -> float:
    """The organ mark's size: 初号 unless the name would be wider than the text block."""
    width_chars = max(chars_wide(organ), 1.0)
    fit = BLOCK_W_MM / MM_PER_PT / width_chars
    return min(ORGAN_MAX_PT, fit)


def signature_offsets(signature: str, date_text: str) -> tuple[float, float]:
    """Right indents (in grid characters) of the signature and of the date under it, for a
    document without a seal (§7.3.5.2): the signature two characters from the right, the date
    starting two characters right of the signature; when the date is the longer, the date two
    characters from the right and the signature starting two characters right of it."""
    s, d = chars_wide(signature), chars_wide(date_text)
    if d <= s:
        return 2.0, s - d
    return d - s, 2.0


def break_lines(text: str, width: float, measure, first_indent: float = 0.0) -> list[str]:
    """Break text into lines no wider than `width` (measure(str) → width), character by
    character as CJK text breaks, keeping runs of Latin letters and digits together when they
    fit, and moving a closing punctuation mark that would start a line back onto the line before
    with its character (避头尾, as a compositor would)."""
    lines: list[str] = []
    for hard in text.split("\n"):
        tokens = _tokens(hard)
        line = ""
        avail = width - (first_indent if not lines else 0.0)
        for token in tokens:
            if measure(line + token) <= avail or not line:
                if measure(token) > avail and not line:
                    # a run longer than a line: break it per character
                    for c in token:
                        if line and measure(line + c) > avail:
                            lines.append(line)
                            line, avail = "", width
                        line += c
                    continue
                line += token
                continue
            if token[0] in NO_LINE_START and len(line) > 1:
                # carry the last character of this line over with the punctuation
                carry = line[-1]
                lines.append(line[:-1])
                line = carry + token
            elif line[-1] in NO_LINE_END and len(line) > 1:
                lines.append(line[:-1])
                line = line[-1] + token
            else:
                lines.append(line)
                line = token
            avail = width
        lines.append(line)
    return lines


def _tokens(text: str) -> list[str]:
    """Characters, except that runs of ASCII letters and digits (a number such as 38.5 or 95%,
    a name) stay whole."""
    out: list[str] = []
    run = ""
    for c in text:
        if c.isascii() and (c.isalnum() or (run and c in ".%-/:")):
            run += c
            continue
        if run:
            out.append(run)
            run = ""
        out.append(c)
    if run:
        out.append(run)
    return out
