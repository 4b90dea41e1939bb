"""Hooks for `seed_demo`: higher apps add their demo data without core importing them."""

from collections.abc import Callable

_seeders: list[tuple[Callable, str | None]] = []


def register_seeder(seeder: Callable, *, option: str | None = None) -> None:
    """seeder(sub_district) -> number of objects created; must be idempotent. With `option`,
    it runs only when seed_demo is given that option (a slow seeder: `--previous-year`)."""
    if all(s is not seeder for s, _option in _seeders):
        _seeders.append((seeder, option))


def seeders(options: frozenset[str] = frozenset()) -> list[Callable]:
    """The seeders to run, in the order registered: those without an option, and those whose
    option is among `options`."""
    return [s for s, option in _seeders if option is None or option in options]
