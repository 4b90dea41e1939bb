import pytest
from django.db import connection

from tests.factories import Org

pytest_plugins = ["tests.browserkit"]


@pytest.fixture
def org(db) -> Org:
    """Sub-district A with every unit kind and one user per role."""
    return Org("A")


@pytest.fixture
def other_org(db) -> Org:
    """Sub-district B: nothing of it may be visible to A's users."""
    return Org("B")


@pytest.fixture(autouse=True)
def _skip_postgres_only(request):
    if request.node.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (run by .ci/run with DATABASE_URL=postgres://…)")


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Per-process caches (lights' due-soon limit, ledger unit choices) must not leak between
    tests: rolled-back ids are reused on SQLite."""
    from core import workitems
    from rectification import forms
    from workflows import health

    workitems.forget_thresholds()
    forms._unit_choices_cache.clear()
    health.forget()
    yield


# Made-up keys the tests write: registered like an app's (core.audit_events refuses unknown keys),
# under the app "tests" so the catalogue test can tell them from the product's.
TEST_EVENT_TYPES = (
    "test.event",
    "test.concurrent",
    "test.ip",
    "test.float",
    "test.e{n}",
    "unit.update",
)
TEST_NOTIFICATION_KINDS = ("test.cross", "t")
# Made-up work-item kinds (core.workitems refuses a kind core.deadlines does not know): never
# reminded, so the sweep's tests see only the product's kinds at work.
TEST_WORK_ITEM_KINDS = ("test.kind",)


@pytest.fixture(autouse=True, scope="session")
def _test_event_types():
    from core import audit_events, deadlines

    for kind in TEST_WORK_ITEM_KINDS:
        deadlines.register(
            deadlines.DeadlineKind(kind=kind, label=f"Test task {kind}", remind=False)
        )
    for key in TEST_EVENT_TYPES:
        audit_events.register(key, f"Test event {key}", "tests")
    for kind in TEST_NOTIFICATION_KINDS:
        audit_events.register_notification(kind, f"Test notification {kind}", "tests")
    yield
    for key in TEST_EVENT_TYPES:
        audit_events.events.unregister(key)
    for kind in TEST_NOTIFICATION_KINDS:
        audit_events.notification_kinds.unregister(kind)
    for kind in TEST_WORK_ITEM_KINDS:
        deadlines.unregister(kind)
