"""Path converters of the appraisal URLs."""

from django.urls import register_converter


class CodeConverter:
    """A unit or category code in a URL (`/appraisal/2026/scoring/LZ/`): printable characters
    other than "/", at most 100. A NUL byte or another control character names no code: the URL
    does not match (404) before any query — PostgreSQL refuses a NUL in a text literal, which
    made `%00` a 500. Kept wider than the codes themselves so that every stored code still
    reverses (a stricter pattern would turn an odd legacy code into a NoReverseMatch)."""

    regex = r"[^/\x00-\x1f\x7f]{1,100}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(CodeConverter, "code")
