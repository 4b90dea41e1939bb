"""The year bundle (../shared/spec/year-bundle.md): one assessment year's inputs as one JSON
file — read (parse: a typed, checked bundle, which services.year_import writes as a year) and
exported (export)."""

from .export import export_bundle, export_settings
from .fields import FORMAT, BundleError
from .parse import Parsed, parse

__all__ = [
    "FORMAT",
    "BundleError",
    "Parsed",
    "export_bundle",
    "export_settings",
    "parse",
]
