"""Official documents in the GB/T 9704-2012 layout (core.documents): the .docx and the PDF of one
content, document numbers, stored copies."""

from __future__ import annotations

import datetime
import hashlib
import io
import re
import threading
from pathlib import Path

import pytest
from django.db import connection, transaction

from core.documents import (
    Heading,
    OfficialDocument,
    PageBreak,
    Paragraph,
    Table,
    chinese_date,
    next_document_number,
    render_docx,
    render_pdf,
    store_document,
    stored_document,
)
from core.documents.layout import break_lines, signature_offsets
from core.documents.models import DocumentCounter, StoredDocument

SENTENCE = "根据《某某街道党建工作考核办法》第十五条，现将考核结果反馈如下。"
TITLE = "关于反馈2026年度基层党建工作考核结果的通知"
W_NS = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _doc(*, draft: bool = False, body=None, **kw) -> OfficialDocument:
    if body is None:
        body = [
            Paragraph(SENTENCE),
            Heading("一、总体情况"),
            Paragraph("2026年度你单位得分92.5分，位列第3名，等次为“好”。" * 4),
            Heading("（一）主要成绩", level=2),
            Table(
                header=["序号", "考核项目", "得分"],
                rows=[["1", "组织建设", "19.5"], ["2", "阵地建设", "18"]],
                widths_mm=[20, 100, 36],
                caption="表1  分项得分",
                align=["center", "left", "right"],
            ),
            Paragraph("特此通知。"),
        ]
    fields = {
        "organ": "中共某某街道工作委员会",
        "number": "某街党建〔2027〕3号",
        "title": TITLE,
        "addressee": "各社区党委：",
        "body": body,
        "signature": "中共某某街道工作委员会",
        "date": datetime.date(2027, 1, 15),
        "draft": draft,
        "copy_to": "街道党建工作领导小组成员单位",
        "printed_by": "中共某某街道工作委员会办公室",
    }
    fields.update(kw)
    return OfficialDocument(**fields)


def _long_doc() -> OfficialDocument:
    rows = [
        [str(i), f"第{i}项考核内容，按年度计划完成并报送材料", f"{90 - i % 7}"] for i in range(80)
    ]
    body = [
        Paragraph(SENTENCE * 3),
        Table(header=["序号", "考核内容", "得分"], rows=rows, widths_mm=[20, 100, 36]),
        Paragraph("以上结果已经街道党建工作领导小组审定。"),
    ]
    return _doc(body=body)


def _pdf_pages(content: bytes) -> list[str]:
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    return [p.extract_text() for p in reader.pages]


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def pdf_bytes() -> bytes:
    return render_pdf(_doc())


@pytest.fixture(scope="module")
def long_pdf() -> bytes:
    return render_pdf(_long_doc())


@pytest.fixture(scope="module")
def docx_doc():
    import docx

    return docx.Document(io.BytesIO(render_docx(_doc())))


def _east_asia(run) -> str:
    return run._element.rPr.find(f"{W_NS}rFonts").get(f"{W_NS}eastAsia")


def _run_with(d, text: str):
    for p in d.paragraphs:
        for r in p.runs:
            if text in r.text:
                return p, r
    raise AssertionError(f"no run with {text!r}")


# --- the content model -------------------------------------------------------------------------


def test_chinese_date_has_no_zero_padding():
    assert chinese_date(datetime.date(2027, 1, 5)) == "2027年1月5日"
    assert chinese_date(datetime.date(2027, 11, 15)) == "2027年11月15日"


@pytest.mark.parametrize(
    "make",
    [
        lambda: Paragraph("x", align="middle"),
        lambda: Heading("x", level=3),
        lambda: Table(header=["a", "b"], rows=[["1"]]),
        lambda: Table(header=["a"], rows=[], widths_mm=[10, 20]),
        lambda: Table(header=["a"], rows=[], align=["top"]),
        lambda: _doc(body=["just a string"]),
    ],
)
def test_bad_content_is_refused_with_a_clear_error(make):
    with pytest.raises(ValueError):
        make()


def test_lines_break_per_character_and_punctuation_never_starts_a_line():
    lines = break_lines("一二三四，五六七八九", 4, len)
    assert all(len(line) <= 5 for line in lines)
    assert not any(line[0] in "，。" for line in lines[1:])
    assert "".join(lines) == "一二三四，五六七八九"
    # a number stays whole
    assert "92.5" in "|".join(break_lines("得分为92.5分", 5, len))


def test_signature_and_date_offsets_follow_7_3_5_2():
    # the signature two characters from the right, the date starting two characters right of it
    sig, date = signature_offsets("中共某某街道工作委员会", "2027年1月15日")
    assert (sig, date) == (2.0, 4.5)  # the date is 6.5 characters wide: digits are half
    # a date longer than the signature: the date two characters from the right
    sig, date = signature_offsets("某办", "2027年1月15日")
    assert (sig, date) == (4.5, 2.0)


# --- .docx ---------------------------------------------------------------------------------------


def test_docx_page_is_a4_with_the_standard_block(docx_doc):
    s = docx_doc.sections[0]
    assert abs(s.page_width.mm - 210) < 0.5 and abs(s.page_height.mm - 297) < 0.5
    assert abs(s.top_margin.mm - 37) < 0.5
    assert abs(s.left_margin.mm - 28) < 0.5
    assert abs(s.page_width.mm - s.left_margin.mm - s.right_margin.mm - 156) < 0.5
    assert abs(s.page_height.mm - s.top_margin.mm - s.bottom_margin.mm - 225) < 0.5
    grid = s._sectPr.find(f"{W_NS}docGrid")
    assert grid.get(f"{W_NS}type") == "linesAndChars"
    assert grid.get(f"{W_NS}linePitch") == "579"  # 225 mm / 22 lines


def test_docx_fonts_and_sizes(docx_doc):
    _, title = _run_with(docx_doc, TITLE)
    assert title.font.size.pt == 22
    assert _east_asia(title) == "方正小标宋简体"
    p, body = _run_with(docx_doc, SENTENCE)
    assert body.font.size.pt == 16
    assert _east_asia(body) == "仿宋_GB2312"
    assert body._element.rPr.find(f"{W_NS}rFonts").get(f"{W_NS}ascii") == "Times New Roman"
    assert abs(p.paragraph_format.first_line_indent.pt - 31.6) < 1  # two characters
    normal = docx_doc.styles["Normal"].paragraph_format  # exact 28.95 pt: 22 lines to 225 mm
    assert normal.line_spacing_rule == 4 and abs(normal.line_spacing.pt - 28.95) < 0.1
    assert _east_asia(_run_with(docx_doc, "一、总体情况")[1]) == "黑体"
    assert _east_asia(_run_with(docx_doc, "（一）主要成绩")[1]) == "楷体_GB2312"
    _, organ = _run_with(docx_doc, "中共某某街道工作委员会")
    assert str(organ.font.color.rgb) == "E60012"
    assert _east_asia(organ) == "方正小标宋简体"


def test_docx_table_has_a_repeated_bold_header_and_unindented_text(docx_doc):
    table = docx_doc.tables[0]
    header = table.rows[0]
    assert header._tr.trPr.find(f"{W_NS}tblHeader") is not None
    assert all(c.paragraphs[0].runs[0].font.bold for c in header.cells)
    cell = table.rows[1].cells[1].paragraphs[0]
    assert cell.runs[0].text == "组织建设"
    assert cell.runs[0].font.size.pt == 10.5
    assert cell.paragraph_format.first_line_indent.pt == 0
    assert table.style.name == "Table Grid"


def test_docx_keeps_the_last_line_of_the_text_with_the_signature(docx_doc):
    p, _ = _run_with(docx_doc, "特此通知。")
    assert p.paragraph_format.keep_with_next


def test_docx_footer_has_a_page_field_and_odd_even_sides(docx_doc):
    s = docx_doc.sections[0]
    assert docx_doc.settings.odd_and_even_pages_header_footer
    for footer in (s.footer, s.even_page_footer):
        xml = footer._element.xml
        assert 'w:instr=" PAGE "' in xml and "— " in xml and " —" in xml
    assert s.footer.paragraphs[0].alignment == 2  # right, odd pages
    assert s.even_page_footer.paragraphs[0].alignment == 0  # left, even pages


def test_docx_draft_mark_and_title(docx_doc):
    import docx

    assert docx_doc.core_properties.title == TITLE
    assert "草稿" not in docx_doc.sections[0].header._element.xml
    draft = docx.Document(io.BytesIO(render_docx(_doc(draft=True))))
    assert draft.core_properties.title == f"【草稿】{TITLE}"
    header = draft.sections[0].header
    assert "草稿 — 未公布，仅供核对" in header.paragraphs[0].text
    assert str(header.paragraphs[0].runs[0].font.color.rgb) == "E60012"


def test_docx_omits_an_empty_number_and_addressee():
    import docx

    d = docx.Document(io.BytesIO(render_docx(_doc(number="", addressee="", copy_to=""))))
    text = "\n".join(p.text for p in d.paragraphs)
    assert "〔2027〕" not in text and "各社区党委" not in text and "抄送" not in text
    assert "2027年1月15日印发" in text


# --- PDF -----------------------------------------------------------------------------------------


def test_pdf_text_is_extractable_chinese_on_a4(pdf_bytes):
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(pdf_bytes))
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.28) < 1 and abs(float(box.height) - 841.89) < 1
    pages = _pdf_pages(pdf_bytes)
    first = _flat(pages[0])
    assert _flat(TITLE) in first
    assert _flat(SENTENCE) in first
    assert "某街党建〔2027〕3号" in first
    assert "— 1 —" in pages[0]
    everything = _flat("".join(pages))
    for cell in ("序号", "考核项目", "组织建设", "19.5", "阵地建设"):
        assert cell in everything
    assert "2027年1月15日印发" in everything
    assert reader.metadata.title == TITLE


def test_pdf_text_stays_inside_the_block(long_pdf):
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(long_pdf))
    xs: list[float] = []

    def visit(text, cm, tm, font, size):
        if text.strip(" \n"):
            xs.append(tm[4] * cm[0] + cm[4])

    for page in reader.pages:
        page.extract_text(visitor_text=visit)
    left, right = 28 / 25.4 * 72, (28 + 156) / 25.4 * 72
    assert xs and min(xs) >= left - 0.5 and max(xs) < right


def test_a_long_pdf_paginates_with_the_table_header_on_every_page(long_pdf):
    pages = _pdf_pages(long_pdf)
    assert len(pages) >= 5
    for n, text in enumerate(pages, start=1):
        assert f"— {n} —" in text
    table_pages = [t for t in pages if "考核内容，按年度" in _flat(t)]
    assert len(table_pages) >= 4
    for text in table_pages:
        assert "序号" in text and "得分" in text
    # §7.3.5: the signature and date never stand alone on the last page
    assert "以上结果已经街道党建工作领导小组审定" in _flat(pages[-1])
    assert "中共某某街道工作委员会2027年1月15日" in _flat(pages[-1])
    # every row exactly once
    everything = _flat("".join(pages))
    for i in (0, 40, 79):
        assert everything.count(f"第{i}项考核内容") == 1


def test_pdf_page_break_starts_a_new_page():
    pages = _pdf_pages(render_pdf(_doc(body=[Paragraph("甲页"), PageBreak(), Paragraph("乙页")])))
    assert "甲页" in _flat(pages[0]) and "乙页" in _flat(pages[1])


def test_pdf_draft_mark(pdf_bytes):
    import pypdf

    assert "草稿" not in "".join(_pdf_pages(pdf_bytes))
    draft = render_pdf(_doc(draft=True))
    assert "草稿 — 未公布，仅供核对" in _pdf_pages(draft)[0]
    assert pypdf.PdfReader(io.BytesIO(draft)).metadata.title == f"【草稿】{TITLE}"


# --- fonts (core.documents.fontcache) ------------------------------------------------------------


def _cid_fonts(content: bytes) -> dict[str, str]:
    """BaseFont → Subtype of every descendant CID font the PDF embeds."""
    import pypdf

    found = {}
    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            assert font["/Subtype"] == "/Type0"
            cid = font["/DescendantFonts"][0].get_object()
            found[str(cid["/BaseFont"])] = str(cid["/Subtype"])
    return found


def test_pdf_embeds_reduced_truetype_faces_and_text_extracts_without_nuls(pdf_bytes):
    from django.conf import settings

    from core.documents import fontcache, fonts

    # TrueType outlines: CIDFontType2 with Identity-H, which every reader decodes
    embedded = _cid_fonts(pdf_bytes)
    assert len(embedded) == 4 and set(embedded.values()) == {"/CIDFontType2"}
    assert not any("\x00" in page for page in _pdf_pages(pdf_bytes))
    # the faces were built into the cache under VAR_DIR, which the tests can write
    assert Path(settings.FONT_CACHE_DIR).is_relative_to(settings.VAR_DIR)
    for face in (fonts.FANGSONG, fonts.FANGSONG_BOLD, fonts.HEITI):
        assert fontcache.cached_path(face.path, face.index).is_file()


@pytest.mark.parametrize("rare", ["喆", "㐀"])  # outside GB 2312: a name's character, Ext. A
def test_a_character_outside_the_reduced_charset_is_still_drawn(rare):
    from core.documents import fontcache

    assert not fontcache.covers(rare)
    content = render_pdf(_doc(body=[Heading("一、总体情况"), Paragraph(f"王{rare}同志，党员。")]))
    # the document keeps the full (CFF) fonts, which hold the character
    assert set(_cid_fonts(content).values()) == {"/CIDFontType0"}
    # pypdf reads the CFF fonts' CID text with a NUL before each character (pdftotext does not)
    text = _flat("".join(_pdf_pages(content))).replace("\x00", "")
    assert f"王{rare}同志，党员。" in text


def test_the_reduced_charset_covers_the_catalogue_the_demo_and_the_translations():
    import appraisal

    root = Path(appraisal.__file__).resolve().parent.parent
    sources = [
        "appraisal/catalogue_data.py",
        "appraisal/demo.py",
        "core/management/commands/seed_demo.py",
        "locale/zh_Hans/LC_MESSAGES/django.po",
        *(str(p.relative_to(root)) for p in (root / "appraisal/documents").glob("*.py")),
    ]
    from core.documents import fontcache

    for source in sources:
        text = (root / source).read_text(encoding="utf-8")
        missing = {c for c in text if not fontcache.covers(c)}
        assert not missing, f"{source}: {sorted(missing)}"
    assert fontcache.covers("①⑳㈠Ⅻ℃№‰※→√×÷±≤≥■□▲△○●★☆〔〕《》「」『』【】〖〗・·—…０１ＡＺ，．")


def test_a_reduced_face_is_built_once_with_the_sources_metrics(tmp_path, settings, monkeypatch):
    from fontTools import ttLib

    from core.documents import fontcache, fonts

    small = frozenset(map(ord, "党建工作考核abc１，。"))
    monkeypatch.setattr(fontcache, "charset", lambda: small)
    settings.FONT_CACHE_DIR = tmp_path / "fonts"
    face = fonts.HEITI
    path, index = fonts.pdf_font(face.path, face.index, text="党建工作")
    assert index == 0 and Path(path).parent == tmp_path / "fonts"
    assert f"-v{fontcache.CHARSET_VERSION}.ttf" in path
    built = Path(path).stat().st_mtime_ns
    assert Path(path).stat().st_mode & 0o777 == 0o644  # readable by the web server's user
    assert fonts.pdf_font(face.path, face.index, text="考核")[0] == path  # not built again
    assert Path(path).stat().st_mtime_ns == built
    reduced = ttLib.TTFont(path)
    source = ttLib.TTFont(face.path, fontNumber=face.index, lazy=True)
    assert "glyf" in reduced and "CFF " not in reduced
    assert set(reduced.getBestCmap()) == small
    for cp, name in reduced.getBestCmap().items():
        assert reduced["hmtx"][name][0] == source["hmtx"][source.getBestCmap()[cp]][0]
    assert reduced["hhea"].ascent == source["hhea"].ascent
    assert reduced["name"].getBestFullName() == source["name"].getBestFullName()
    # text outside the charset, or no text known: the full font
    assert fonts.pdf_font(face.path, face.index, text="考核喆") == (face.path, face.index)
    assert fonts.pdf_font(face.path, face.index, text=None) == (face.path, face.index)
    assert fonts.pdf_font(fonts.KAITI.path, 0, text="党建") == (fonts.KAITI.path, 0)


def test_an_unwritable_font_cache_falls_back_to_the_full_font(tmp_path, settings, caplog):
    from core.documents import fonts

    (tmp_path / "file").write_text("")
    settings.FONT_CACHE_DIR = tmp_path / "file" / "fonts"  # cannot be created
    face = fonts.FANGSONG
    assert fonts.pdf_font(face.path, face.index, text="党建") == (face.path, face.index)
    assert "Could not build the reduced font" in caplog.text


# --- document numbers ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_document_numbers_count_per_sub_district_year_and_prefix(org, other_org):
    def take(sd, year=2027, prefix="某街党建"):
        with transaction.atomic():
            return next_document_number(sub_district_id=sd.sd.pk, year=year, prefix=prefix)

    assert [take(org) for _ in range(3)] == [
        "某街党建〔2027〕1号",
        "某街党建〔2027〕2号",
        "某街党建〔2027〕3号",
    ]
    assert take(other_org) == "某街党建〔2027〕1号"
    assert take(org, year=2028) == "某街党建〔2028〕1号"
    assert take(org, prefix="某街办") == "某街办〔2027〕1号"
    assert take(org) == "某街党建〔2027〕4号"
    assert DocumentCounter.objects.count() == 4


@pytest.mark.django_db
def test_a_rolled_back_document_gives_its_number_back(org):
    class Boom(Exception):
        pass

    with pytest.raises(Boom), transaction.atomic():
        next_document_number(sub_district_id=org.sd.pk, year=2027, prefix="某街党建")
        raise Boom
    with transaction.atomic():
        n = next_document_number(sub_district_id=org.sd.pk, year=2027, prefix="某街党建")
    assert n == "某街党建〔2027〕1号"


@pytest.mark.django_db(transaction=True)
def test_a_document_number_outside_a_transaction_is_refused(org):
    from core.documents.services import NotInTransaction

    with pytest.raises(NotInTransaction):
        next_document_number(sub_district_id=org.sd.pk, year=2027, prefix="某街党建")
    with pytest.raises(ValueError), transaction.atomic():
        next_document_number(sub_district_id=org.sd.pk, year=2027, prefix=" ")
    assert not DocumentCounter.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_numbers_taken_at_once_are_distinct(org):
    results: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(2)

    def take():
        try:
            barrier.wait()
            with transaction.atomic():
                results.append(
                    next_document_number(sub_district_id=org.sd.pk, year=2027, prefix="某街党建")
                )
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connection.close()

    for _ in range(5):
        threads = [threading.Thread(target=take) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert not errors, errors
    assert len(results) == 10 and len(set(results)) == 10
    assert DocumentCounter.objects.get(sub_district=org.sd).last == 10


# --- stored documents ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_store_keeps_the_sha256_and_a_second_store_replaces(org):
    from core.models import Role

    owner = org.community
    user = org.user(Role.OFFICE_STAFF)
    first = store_document(
        owner=owner,
        kind="feedback",
        filename="反馈函.pdf",
        content=b"%PDF-1 first",
        sub_district_id=org.sd.pk,
        acting_user=user,
    )
    assert first.sha256 == hashlib.sha256(b"%PDF-1 first").hexdigest()
    assert first.size == len(b"%PDF-1 first")
    assert first.content_type == "application/pdf"
    assert first.created_by == user
    again = store_document(
        owner=owner,
        kind="feedback",
        filename="反馈函.pdf",
        content=b"%PDF-1 second",
        sub_district_id=org.sd.pk,
    )
    assert again.pk == first.pk
    assert StoredDocument.objects.count() == 1
    row = StoredDocument.objects.get()
    assert bytes(row.content) == b"%PDF-1 second"
    assert row.sha256 == hashlib.sha256(b"%PDF-1 second").hexdigest()
    assert row.created_by == user  # the first storer stays
    docx_row = store_document(
        owner=owner,
        kind="feedback",
        filename="反馈函.docx",
        content=b"PK",
        sub_district_id=org.sd.pk,
    )
    assert docx_row.content_type.endswith("wordprocessingml.document")
    assert StoredDocument.objects.count() == 2
    assert stored_document(owner=owner, filename="反馈函.pdf").pk == first.pk
    assert stored_document(owner=owner, filename="无此文件.pdf") is None
    assert stored_document(owner=org.community2, filename="反馈函.pdf") is None


@pytest.mark.django_db
def test_store_refuses_a_path_or_an_unsaved_owner(org):
    from core.models import Unit

    with pytest.raises(ValueError):
        store_document(
            owner=org.community, kind="k", filename="../x.pdf", content=b"", sub_district_id=1
        )
    with pytest.raises(ValueError):
        store_document(owner=Unit(), kind="k", filename="x.pdf", content=b"", sub_district_id=1)


def _page_texts(content: bytes) -> list[list[str]]:
    """Each page's lines of text, without the page number."""
    import pypdf

    pages = []
    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        pages.append([line for line in lines if not re.fullmatch(r"— \d+ —", line)])
    return pages


@pytest.mark.parametrize("before", range(12, 30))
def test_a_heading_or_a_table_caption_is_never_alone_at_the_foot_of_a_page(before):
    # given a heading and a captioned table after `before` one-line paragraphs: somewhere in the
    # range each lands on the last line of the first page
    body = [Paragraph(f"第{n}段。") for n in range(before)]
    body += [
        Heading("二、存在的问题"),
        Paragraph("问题说明。" * 3),
        Paragraph("末尾。"),
        Table(
            header=["序号", "事项"],
            rows=[["1", "整改事项"], ["2", "整改事项"]],
            widths_mm=[20, 136],
            caption="表2  整改事项",
        ),
        Paragraph("特此报告。"),
    ]
    # when it is rendered
    pages = _page_texts(render_pdf(_doc(body=body, copy_to="", printed_by="")))
    # then no page ends with the heading or the caption: each goes with what follows it
    for lines in pages[:-1]:
        assert lines[-1] not in ("二、存在的问题", "表2 整改事项", "表2  整改事项"), lines[-3:]
