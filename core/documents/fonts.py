"""Fonts of official documents: the standard font each element names (GB/T 9704-2012 §3.3 and
practice: 仿宋_GB2312 body, 方正小标宋简体 title and organ mark, 黑体 first-level headings,
楷体_GB2312 second-level headings), and the free font of a Debian package that stands for it in
the PDF, which must embed a font it may redistribute.

The .docx names the standard fonts (w:eastAsia): a government office's Word has them, and
elsewhere Word substitutes. The PDF embeds (a subset of):
- Noto Serif CJK SC (fonts-noto-cjk) for 仿宋 and, in bold, for 小标宋 — both are serif faces;
- Noto Sans CJK SC for 黑体 — a sans face;
- AR PL KaitiM GB (fonts-arphic-gkai00mp) for 楷体 — a kai face.
The Noto collections are CFF-flavoured OpenType (.ttc); index 2 is Simplified Chinese. A PDF
embeds them from their reduced TrueType faces (core.documents.fontcache) when its text allows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from . import fontcache

NOTO = "/usr/share/fonts/opentype/noto"
GKAI = "/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf"
SC = 2  # Simplified Chinese in the Noto CJK collections


@dataclass(frozen=True)
class Face:
    key: str  # the family name the PDF registers
    standard: str  # the font the docx names (w:eastAsia)
    path: str
    index: int  # in a collection; 0 for a plain .ttf
    bold: bool = False  # the docx sets <w:b/> only where the standard font has no bold face


FANGSONG = Face("fangsong", "仿宋_GB2312", f"{NOTO}/NotoSerifCJK-Regular.ttc", SC)
FANGSONG_BOLD = Face("fangsong-bold", "仿宋_GB2312", f"{NOTO}/NotoSerifCJK-Bold.ttc", SC, True)
# the PDF embeds one subset per file: faces of the same file share its key
XIAOBIAOSONG = Face("fangsong-bold", "方正小标宋简体", f"{NOTO}/NotoSerifCJK-Bold.ttc", SC)
HEITI = Face("heiti", "黑体", f"{NOTO}/NotoSansCJK-Regular.ttc", SC)
KAITI = Face("kaiti", "楷体_GB2312", GKAI, 0)
SONGTI = Face("fangsong", "宋体", f"{NOTO}/NotoSerifCJK-Regular.ttc", SC)  # page numbers

FACES: tuple[Face, ...] = (FANGSONG, FANGSONG_BOLD, XIAOBIAOSONG, HEITI, KAITI, SONGTI)
LATIN = "Times New Roman"  # w:ascii / w:hAnsi of every run

# Any CJK font at all, in order of preference (the ballot sheet prints plain labels).
CJK_ANY: tuple[tuple[str, int], ...] = (
    (HEITI.path, HEITI.index),
    (FANGSONG.path, FANGSONG.index),
    (KAITI.path, KAITI.index),
)


def require(face: Face) -> Face:
    if not Path(face.path).is_file():
        raise ImproperlyConfigured(
            f"The font standing for {face.standard} is missing ({face.path}): install Debian's "
            "fonts-noto-cjk and fonts-arphic-gkai00mp."
        )
    return face


def pdf_font(path: str, index: int, *, text: str | None) -> tuple[str, int]:
    """(path, index) of the file a PDF embeds for a face: its reduced TrueType face when every
    character of text is in the reduced charset (None: the text is not known, so the full font),
    else — or when the reduced face cannot be built — the full font itself. TrueType sources
    are used as they are (gkai00mp already holds little more than GB 2312)."""
    if text is None or not path.endswith((".otf", ".ttc")) or not fontcache.covers(text):
        return path, index
    reduced = fontcache.reduced(path, index)
    return (str(reduced), 0) if reduced else (path, index)


def cjk_font(text: str | None = None) -> tuple[str, int]:
    """(path, index in a collection) of the first CJK font installed, reduced if text allows
    (pdf_font)."""
    for path, index in CJK_ANY:
        if Path(path).is_file():
            return pdf_font(path, index, text=text)
    raise ImproperlyConfigured("No CJK font found: install Debian's fonts-noto-cjk.")
