"""What a browser would send: the fields of a page's POST form, read from its HTML."""

from __future__ import annotations

from html.parser import HTMLParser


class _Forms(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[list[tuple[str, str]]] = []
        self._form: list[tuple[str, str]] | None = None
        self._textarea: str | None = None
        self._text = ""
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self._form = []
        if self._form is None:
            return
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("file", "submit", "button", "reset", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._form.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""
        elif tag == "select" and a.get("name"):
            self._select, self._options = a["name"], []
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if self._form is None:
            return
        if tag == "textarea" and self._textarea is not None:
            # the HTML parser keeps the newline browsers drop after <textarea>
            self._form.append((self._textarea, self._text.removeprefix("\n")))
            self._textarea = None
        elif tag == "select" and self._select is not None:
            chosen = [v for v, sel in self._options if sel] or [v for v, _s in self._options[:1]]
            if chosen:
                self._form.append((self._select, chosen[0]))
            self._select = None
        elif tag == "form":
            self.forms.append(self._form)
            self._form = None


def post_data(html: str, *, containing: str) -> dict[str, list[str]]:
    """The fields of the page's POST form that has a field whose name starts with `containing`,
    as the browser would submit them unchanged (name → values, in document order)."""
    parser = _Forms()
    parser.feed(html)
    for form in parser.forms:
        if any(name.startswith(containing) for name, _v in form):
            data: dict[str, list[str]] = {}
            for name, value in form:
                if name != "csrfmiddlewaretoken":
                    data.setdefault(name, []).append(value)
            return data
    raise AssertionError(f"no POST form with a field {containing!r}")
