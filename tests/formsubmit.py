"""Submit a rendered HTML form the way a browser does, for the round-trip tests.

A browser sends what its controls hold, and a control holds only a value it accepts: an
`<input type=date>` whose value attribute is not `YYYY-MM-DD` is empty (HTML's value
sanitization algorithm), so it submits "". Tests that post hand-written dictionaries miss exactly
that; this parser reads the page's own form and applies the same sanitization.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# HTML Living Standard, "value sanitization algorithm" of each input type.
_VALID = {
    "date": re.compile(r"\d{4,}-\d{2}-\d{2}"),
    "datetime-local": re.compile(r"\d{4,}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "time": re.compile(r"\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?"),
    "month": re.compile(r"\d{4,}-\d{2}"),
    "number": re.compile(r"[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?"),
}
_NOT_SUBMITTED = {"submit", "button", "reset", "image", "file"}


class Form:
    def __init__(self, attrs: dict):
        self.action = attrs.get("action") or ""
        self.method = (attrs.get("method") or "get").lower()
        self.id = attrs.get("id") or ""
        self.fields: list[tuple[str, str]] = []
        self.input_types: dict[str, str] = {}
        self.buttons: list[tuple[str, str]] = []

    def data(self, *, button: str | None = None) -> dict[str, list[str]]:
        """The form data set as a browser builds it (multi-valued names kept as lists)."""
        out: dict[str, list[str]] = {}
        for name, value in self.fields:
            out.setdefault(name, []).append(value)
        for name, value in self.buttons:
            if name == button:
                out.setdefault(name, []).append(value)
        return out


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: dict | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form":
            self._form = Form(a)
            self.forms.append(self._form)
            return
        form = self._form
        if form is None or "disabled" in a:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text").lower()
            value = a.get("value", "")
            if kind in _NOT_SUBMITTED:
                if kind == "submit":
                    form.buttons.append((name, value))
                return
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    form.fields.append((name, value or "on"))
                return
            pattern = _VALID.get(kind)
            if pattern is not None and not pattern.fullmatch(value):
                value = ""  # the browser refuses the value: the control opens empty
            form.input_types[name] = kind
            form.fields.append((name, value))
        elif tag == "button" and name and a.get("type", "submit").lower() == "submit":
            form.buttons.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select = {"name": name, "multiple": "multiple" in a, "options": []}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "selected": "selected" in a, "text": ""}
            self._select["options"].append(self._option)
        elif tag == "textarea" and name:
            self._textarea = {"name": name, "text": ""}

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea["text"] += data
        elif self._option is not None:
            self._option["text"] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "option":
            self._option = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea["text"]
            # A browser drops one newline right after <textarea>.
            if text.startswith("\r\n"):
                text = text[2:]
            elif text.startswith("\n"):
                text = text[1:]
            if self._form is not None:
                self._form.fields.append((self._textarea["name"], text))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            options = self._select["options"]
            chosen = [o for o in options if o["selected"]]
            if not chosen and options and not self._select["multiple"]:
                chosen = [options[0]]
            if self._form is not None:
                for o in chosen:
                    value = o["value"] if o["value"] is not None else o["text"].strip()
                    self._form.fields.append((self._select["name"], value))
            self._select = None


def forms_of(html: str) -> list[Form]:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.forms


def form_posting_to(html: str, action: str, *, page: str = "") -> Form:
    """The one POST form of the page whose action is `action` (a form without an action posts
    to its own page, `page`)."""
    found = [f for f in forms_of(html) if f.method == "post" and (f.action or page) == action]
    assert len(found) == 1, f"expected one form posting to {action}, found {len(found)}"
    return found[0]
