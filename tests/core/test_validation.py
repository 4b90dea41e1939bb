"""One policy for typed text (core.validation): a NUL character is refused with the same message
whichever app or channel receives it — a form of rectification or of appraisal, or a cell of an
imported spreadsheet — never silently dropped."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from appraisal.services import clean_text as appraisal_clean_text
from core import spreadsheets
from core.validation import clean_text
from rectification.services import clean_text as rectification_clean_text


@pytest.mark.parametrize("clean", [clean_text, rectification_clean_text])
def test_nul_is_refused_naming_the_field(clean):
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        clean("整改\x00说明", label="Reply", max_length=100)
    assert refused.value.messages == ["Reply contains a NUL character."]


def test_appraisal_refuses_nul_with_the_same_message():
    with translation.override("en"), pytest.raises(ValidationError) as refused:
        appraisal_clean_text("报告\x00", label="Reply", max_length=100)
    assert refused.value.messages == ["Reply contains a NUL character."]


def test_too_long_and_missing_are_refused_and_text_is_stripped():
    with translation.override("en"):
        with pytest.raises(ValidationError, match="at most 3 characters"):
            clean_text("abcd", label="Name", max_length=3)
        with pytest.raises(ValidationError, match="Name is required"):
            clean_text("   ", label="Name", max_length=3)
    assert clean_text("  ab ", label="Name", max_length=3) == "ab"
    assert clean_text("", label="Name", max_length=3, required=False) == ""


def test_a_spreadsheet_cell_with_nul_is_refused_not_stripped():
    with translation.override("en"), pytest.raises(spreadsheets.Bad, match="NUL"):
        spreadsheets.text("名称\x00")


def test_a_spreadsheet_cell_and_a_form_share_the_one_nul_message():
    from core.validation import NUL_MESSAGE, nul_message

    with translation.override("en"):
        with pytest.raises(spreadsheets.Bad) as refused:
            spreadsheets.plain("名称\x00")
        assert refused.value.problem == nul_message("the cell")
        assert nul_message("Reply") == str(NUL_MESSAGE) % {"field": "Reply"}


def test_a_nul_in_an_uploaded_files_name_is_replaced_visibly_not_refused():
    from django.core.files.uploadedfile import SimpleUploadedFile

    from core import evidence
    from tests.rectification.conftest import PDF_BYTES

    checked = evidence.check_upload(SimpleUploadedFile("整改\x00报告.pdf", PDF_BYTES))
    assert checked.name == "整改\ufffd报告.pdf"


def test_a_bundle_text_with_nul_is_refused_with_the_same_message():
    from appraisal.files.bundle.fields import BundleError, _str

    with pytest.raises(BundleError) as refused:
        _str("社区\x00", "units[0].name")
    with translation.override("en"):  # a bundle's message is rendered when shown
        assert str(refused.value) == "units[0].name: the value contains a NUL character."
