"""Hostile xlsx files for the import tests, built in milliseconds.

`bomb()` is a real zip whose sheet inflates to hundreds of megabytes: one megabyte of repeated
cells is deflated once, ending on a full flush (so each copy of the compressed block is a
complete, independent part of the deflate stream), and the block is repeated. The zip is written
by hand because `zipfile` cannot take data that is already compressed.
"""

from __future__ import annotations

import functools
import struct
import zipfile
import zlib
from io import BytesIO

from openpyxl import Workbook

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
SHEET_START = (f'<?xml version="1.0"?><worksheet xmlns="{MAIN}"><sheetData>').encode()
SHEET_END = b"</sheetData></worksheet>"
ROW = b'<row><c t="n"><v>1</v></c><c t="n"><v>1</v></c><c t="n"><v>1</v></c></row>'
MB = 1024 * 1024


def workbook_parts(header=("日期", "类型", "名称", "备注"), title: str = "Sheet") -> dict:
    """The parts of a small valid workbook (one sheet, one header row)."""
    book = Workbook()
    book.active.title = title
    book.active.append(list(header))
    buffer = BytesIO()
    book.save(buffer)
    with zipfile.ZipFile(BytesIO(buffer.getvalue())) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _raw_zip(members: list[tuple[str, bytes, int, int]]) -> bytes:
    """A zip of (name, raw deflate data, CRC-32, inflated size) members."""
    out = BytesIO()
    central = []
    for name, data, crc, size in members:
        encoded = name.encode()
        offset = out.tell()
        out.write(
            struct.pack(
                "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0x21, crc, len(data), size, len(encoded), 0
            )
        )
        out.write(encoded)
        out.write(data)
        central.append(
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0x21,
                crc,
                len(data),
                size,
                len(encoded),
                0,
                0,
                0,
                0,
                0,
                offset,
            )
            + encoded
        )
    start = out.tell()
    for entry in central:
        out.write(entry)
    end = out.tell()
    out.write(
        struct.pack(
            "<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), end - start, start, 0
        )
    )
    return out.getvalue()


def _deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@functools.cache
def bomb(inflated_mb: int = 200) -> bytes:
    """A workbook (about 1 KB per inflated MB) whose first sheet inflates to `inflated_mb` MB."""
    chunk = ROW * (MB // len(ROW))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    start = compressor.compress(SHEET_START) + compressor.flush(zlib.Z_FULL_FLUSH)
    end = compressor.compress(SHEET_END) + compressor.flush()
    sheet = start + block * inflated_mb + end
    crc = zlib.crc32(SHEET_START)
    for _ in range(inflated_mb):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(SHEET_END, crc)
    size = len(SHEET_START) + len(chunk) * inflated_mb + len(SHEET_END)
    members = []
    for name, data in workbook_parts().items():
        if name == "xl/worksheets/sheet1.xml":
            members.append((name, sheet, crc, size))
        else:
            members.append((name, _deflate(data), zlib.crc32(data), len(data)))
    return _raw_zip(members)


def with_sheet(sheet_xml: bytes, *, extra: dict | None = None) -> bytes:
    """A small valid workbook whose first sheet's XML is `sheet_xml` (plus `extra` parts)."""
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in workbook_parts().items():
            archive.writestr(name, sheet_xml if name == "xl/worksheets/sheet1.xml" else data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return out.getvalue()


def many_cells(cells: int) -> bytes:
    """Within every size limit, but `cells` empty cells in one row."""
    return with_sheet(SHEET_START + b"<row>" + b"<c/>" * cells + b"</row>" + SHEET_END)


def far_row(row: int) -> bytes:
    """One cell, in row `row` (a reader that fills the rows before it would make them all)."""
    return with_sheet(
        SHEET_START + f'<row r="{row}"><c t="n"><v>1</v></c></row>'.encode() + SHEET_END
    )


def replaced(data: bytes, replacements: dict[str, str]) -> BytesIO:
    """The workbook `data` with raw XML text replaced in every part (to write what openpyxl
    never writes, such as a number cell holding "inf")."""
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            part = source.read(info)
            for old, new in replacements.items():
                part = part.replace(old.encode(), new.encode())
            target.writestr(info.filename, part)
    out.seek(0)
    return out
