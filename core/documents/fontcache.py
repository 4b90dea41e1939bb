"""Reduced fonts for the PDF: each Noto CJK face cut down once to the characters an official
document is written in, with TrueType (glyf) outlines, and kept on disk.

Why: fpdf2 parses the font file of every face a PDF uses and subsets it when it writes the PDF.
The Noto CJK collections hold 65,000 CFF glyphs, and parsing, subsetting and recompiling them
took more than a second per document. A reduced face holds ~8,400 glyphs, and as TrueType it is
subset without recomputing CFF bounds; fpdf2 then also embeds it as a CIDFontType2 with
Identity-H encoding, so every PDF reader (pypdf too) extracts its text.

The charset (CHARSET_VERSION): GB 2312 (its 6,763 hanzi and 682 symbols), ASCII, Latin-1, the
punctuation, number, arrow, mathematical, enclosed (①, ㈠), box and geometric blocks, CJK
punctuation and the full-width forms. A document with any character outside it is drawn with
the full fonts (fonts.pdf_font), so nothing a user types is lost.

The outlines are the source's cubic curves converted to quadratics within 1/1000 em (cu2qu, as
fontmake builds TrueType from the same sources): at 16 pt that is 0.006 mm. The metrics
(advances, ascent, descent, weight, names) are the source's, so the layout does not move.

The files live in FONT_CACHE_DIR (VAR_DIR/fonts), named after the source file, its size and
mtime and CHARSET_VERSION, built on first use (~4 s per face) under a file lock and written
atomically; deleting the directory is always safe.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading
from functools import cache
from pathlib import Path

logger = logging.getLogger(__name__)

CHARSET_VERSION = 1  # bump when the charset or the way a face is built changes
MAX_ERR = 1.0  # font units (1/1000 em in Noto CJK): the cubic → quadratic tolerance

# Unicode blocks besides GB 2312 (the fonts hold only part of some; what they lack stays absent)
_RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x017F),  # Latin-1, Latin Extended-A
    (0x2000, 0x209F),  # general punctuation (— – … ‰ ※), superscripts and subscripts
    (0x2100, 0x22FF),  # letterlike (℃ №), number forms (Ⅰ ⅰ), arrows, mathematical operators
    (0x2460, 0x25FF),  # enclosed alphanumerics (① ⑴ ⒈), box drawing, blocks, geometric shapes
    (0x2600, 0x26FF),  # miscellaneous symbols (★ ☆ ☎)
    (0x3000, 0x303F),  # CJK punctuation (、。〔〕《》「」)
    (0x3200, 0x32FF),  # enclosed CJK (㈠ ㊣)
    (0xFE30, 0xFE4F),  # CJK compatibility forms
    (0xFF00, 0xFFEF),  # full-width forms (，：；（）０-９Ａ-Ｚ)
)

_lock = threading.Lock()


@cache
def charset() -> frozenset[int]:
    """The code points of a reduced face (those the source has of them)."""
    points: set[int] = set()
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            with contextlib.suppress(UnicodeDecodeError):
                points.update(map(ord, bytes((hi, lo)).decode("gb2312")))
    for first, last in _RANGES:
        points.update(range(first, last + 1))
    return frozenset(points)


def covers(text: str) -> bool:
    """Whether every character of text is in the reduced faces' charset (line breaks aside)."""
    points = charset()
    return all(ord(c) in points for c in set(text) if c not in "\n\r\t")


def cache_dir() -> Path:
    from django.conf import settings

    return Path(settings.FONT_CACHE_DIR)


def cached_path(path: str, index: int) -> Path:
    """Where the reduced face of (path, index) is kept: a new source file gets a new name."""
    st = os.stat(path)
    stem = Path(path).stem
    return cache_dir() / f"{stem}-{index}-{st.st_size}-{st.st_mtime_ns}-v{CHARSET_VERSION}.ttf"


def reduced(path: str, index: int) -> Path | None:
    """The reduced TrueType face of a CFF face, built on first use; None when it cannot be built
    or stored (read-only disk, an odd font): the caller embeds the full font, only slower."""
    try:
        target = cached_path(path, index)
        if os.access(target, os.R_OK):
            return target
        with _lock:
            if os.access(target, os.R_OK):
                return target
            target.parent.mkdir(parents=True, exist_ok=True)
            with _file_lock(target.parent / ".lock"):
                if not os.access(target, os.R_OK):  # another process may have built it meanwhile
                    _build(path, index, target)
        return target
    except Exception:  # the full font still works
        logger.warning("Could not build the reduced font of %s #%d", path, index, exc_info=True)
        return None


@contextlib.contextmanager
def _file_lock(lock_path: Path):
    import fcntl

    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _build(path: str, index: int, target: Path) -> None:
    from fontTools import ttLib
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    src = ttLib.TTFont(path, fontNumber=index, lazy=True, recalcTimestamp=False)
    cmap = {cp: name for cp, name in src.getBestCmap().items() if cp in charset()}
    order = [".notdef"]
    order += sorted(set(cmap.values()) - {".notdef"}, key=src.getGlyphID)
    glyph_set = src.getGlyphSet()
    hmtx = src["hmtx"]
    glyphs, metrics = {}, {}
    for name in order:
        pen = TTGlyphPen(None)
        # CFF contours run counter-clockwise, TrueType ones clockwise
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyphs[name] = pen.glyph()
        metrics[name] = hmtx[name]

    head = src["head"]
    fb = FontBuilder(head.unitsPerEm, isTTF=True)
    fb.setupGlyphOrder(order)
    fb.setupCharacterMap(cmap)
    fb.setupGlyf(glyphs)
    glyf = fb.font["glyf"]
    # TrueType's left side bearing is the outline's xMin
    fb.setupHorizontalMetrics(
        {n: (adv, getattr(glyf[n], "xMin", 0)) for n, (adv, _lsb) in metrics.items()}
    )
    fb.setupHead(
        unitsPerEm=head.unitsPerEm,
        fontRevision=head.fontRevision,
        created=head.created,
        modified=head.modified,
        macStyle=head.macStyle,
        flags=head.flags,
        lowestRecPPEM=head.lowestRecPPEM,
    )
    for tag in ("hhea", "OS/2", "name", "post"):  # ascent, weight, names: as the source
        fb.font[tag] = src[tag]
    fb.font["post"].formatType = 3.0  # glyph names are not needed to embed a subset
    fb.setupMaxp()

    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".build-", suffix=".ttf")
    os.close(fd)
    try:
        fb.font.save(tmp)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide it from the web server's user
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    for old in target.parent.glob(f"{Path(path).stem}-{index}-*.ttf"):
        if old != target:  # a face of an older source file or charset
            with contextlib.suppress(OSError):
                old.unlink()
