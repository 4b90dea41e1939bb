"""The content model of an official document (公文): one set of frozen dataclasses that both
renderers (core.documents.word, core.documents.pdf) take, so the .docx and the PDF of a letter
say the same thing. Apps build the content in code (appraisal/documents/, rectification) and
never touch the layout."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

ALIGNS = ("justify", "left", "center", "right")
CELL_ALIGNS = ("left", "center", "right")


@dataclass(frozen=True)
class Heading:
    """A heading; the caller writes the numbering into the text ("一、", "（一）")."""

    text: str
    level: int = 1  # 1 → 黑体, 2 → 楷体 (GB/T 9704-2012 §7.3.3)

    def __post_init__(self) -> None:
        if self.level not in (1, 2):
            raise ValueError(f"Heading level must be 1 or 2, not {self.level!r}")


@dataclass(frozen=True)
class Paragraph:
    text: str
    indent: bool = True  # first line indented by two characters
    align: str = "justify"
    bold: bool = False

    def __post_init__(self) -> None:
        if self.align not in ALIGNS:
            raise ValueError(f"Paragraph align must be one of {ALIGNS}, not {self.align!r}")


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    widths_mm: Sequence[float] | None = None  # None → equal columns over the 156 mm block
    caption: str = ""
    align: Sequence[str] | None = None  # per column: "left" / "center" / "right"
    font_pt: float = 10.5

    def __post_init__(self) -> None:
        n = len(self.header)
        if n == 0:
            raise ValueError("A table needs at least one column")
        for i, row in enumerate(self.rows):
            if len(row) != n:
                raise ValueError(f"Table row {i} has {len(row)} cells, the header {n}")
        if self.widths_mm is not None:
            if len(self.widths_mm) != n:
                raise ValueError(f"Table widths_mm has {len(self.widths_mm)} values, not {n}")
            if any(w <= 0 for w in self.widths_mm):
                raise ValueError("Table column widths must be positive")
        if self.align is not None:
            if len(self.align) != n:
                raise ValueError(f"Table align has {len(self.align)} values, not {n}")
            bad = [a for a in self.align if a not in CELL_ALIGNS]
            if bad:
                raise ValueError(f"Table align must be one of {CELL_ALIGNS}, not {bad[0]!r}")
        if not 5 <= self.font_pt <= 22:
            raise ValueError(f"Table font_pt must be between 5 and 22, not {self.font_pt!r}")

    def column_aligns(self) -> list[str]:
        return list(self.align) if self.align is not None else ["center"] * len(self.header)


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Table | PageBreak


@dataclass(frozen=True)
class OfficialDocument:
    organ: str  # 发文机关标志, red 小标宋
    number: str  # 发文字号 ("" → omitted)
    title: str
    addressee: str  # 主送机关 ("" → omitted)
    body: Sequence[Block]
    signature: str  # 发文机关署名
    date: datetime.date  # 成文日期
    draft: bool = False
    copy_to: str = ""  # 抄送
    printed_by: str = ""  # 印发机关

    def __post_init__(self) -> None:
        for i, block in enumerate(self.body):
            if not isinstance(block, Heading | Paragraph | Table | PageBreak):
                raise ValueError(f"Body block {i} is a {type(block).__name__}, not a block")

    def metadata_title(self) -> str:
        return f"【草稿】{self.title}" if self.draft else self.title


def chinese_date(d: datetime.date) -> str:
    """成文日期 in Arabic numerals, no zero padding (GB/T 9704-2012 §7.3.5.1): 2027年1月5日."""
    return f"{d.year}年{d.month}月{d.day}日"
