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
