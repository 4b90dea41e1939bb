"""The year bundle (../shared/spec/year-bundle.md): one assessment year's inputs as one JSON
file — read (parse: bytes → a typed bundle), written as a year (load) and exported (export)."""

from .export import export_bundle, export_settings
from .fields import FORMAT, BundleError
from .load import import_bundle
from .parse import Parsed, parse

__all__ = [
    "FORMAT",
    "BundleError",
    "Parsed",
    "export_bundle",
    "export_settings",
    "import_bundle",
    "parse",
]
