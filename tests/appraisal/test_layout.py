"""The shape of appraisal/ (house style, "Target layout"): packages by subdomain, thin views.
Each check can fail: a module growing past the size of one subdomain, a form class or a
transaction written into a views module, a file format writing audit rows or checking access."""

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parents[2] / "appraisal"
MAX_LINES = 550  # "about 500": one subdomain's share of a layer


def _modules(folder: str = ""):
    return [p for p in (APP / folder).rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(APP)))
def test_no_module_is_larger_than_a_subdomain(path):
    assert len(path.read_text().splitlines()) <= MAX_LINES


def test_views_hold_no_forms_and_no_transactions():
    for path in _modules("views"):
        tree = ast.parse(path.read_text())
        forms = [
            n.name
            for n in ast.walk(tree)
            if isinstance(n, ast.ClassDef)
            and any(ast.unparse(b).endswith(("Form", "ModelForm")) for b in n.bases)
        ]
        assert not forms, (path.name, forms)
        assert "transaction" not in path.read_text(), path.name


def test_files_read_and_write_bytes_but_leave_rights_and_audit_to_the_services():
    for path in _modules("files"):
        text = path.read_text()
        for needle in ("audit_record", "access.", "PermissionDenied", "policies."):
            assert needle not in text, (path.name, needle)


def _imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_services_and_selectors_never_import_views_forms_or_files():
    # bytes → typed rows → a service: the formats call the services, never the reverse
    upward = ("files", "views", "forms")
    offenders = {
        str(path.relative_to(APP)): sorted(
            m
            for m in _imported_modules(path)
            if m.lstrip(".").split(".")[0] in upward or any(f"appraisal.{u}" in m for u in upward)
        )
        for folder in ("services", "selectors", "domain")
        for path in _modules(folder)
    }
    assert {k: v for k, v in offenders.items() if v} == {}
