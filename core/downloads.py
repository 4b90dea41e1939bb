"""File downloads: one way to name an attachment and to send a spreadsheet.

The name is given twice (RFC 6266 / 5987): an ASCII `filename` for old clients and the real,
usually Chinese, name as `filename*=UTF-8''…`.
"""

from urllib.parse import quote

from django.http import HttpResponse

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def attachment(ascii_name: str, name: str) -> str:
    """The Content-Disposition value of a download named `name` (`ascii_name` as the fallback)."""
    safe = ascii_name.replace('"', "").replace("\\", "")
    return f"attachment; filename=\"{safe}\"; filename*=UTF-8''{quote(name)}"


def xlsx_response(content: bytes, *, ascii_name: str, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = attachment(ascii_name, name)
    return response
