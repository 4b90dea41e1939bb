"""Hooks for `seed_demo`: higher apps add their demo data without core importing them."""

from collections.abc import Callable

_seeders: list[Callable] = []


def register_seeder(seeder: Callable) -> None:
    """seeder(sub_district) -> number of objects created; must be idempotent."""
    if seeder not in _seeders:
        _seeders.append(seeder)


def seeders() -> list[Callable]:
    return list(_seeders)
