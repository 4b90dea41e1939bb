"""Management commands: seed_demo, sync_schedules; production settings refuse to start unset."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django_q.models import Schedule

from core import access
from core.models import AuditEvent, Role, RoleAssignment, SubDistrict, Unit, UnitKind, User
from workflows.schedules import SCHEDULES

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_seed_demo_refuses_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_builds_the_demo_sub_district_once(settings, tmp_path):
    settings.DEBUG = True
    settings.PRIVATE_STORAGE_ROOT = tmp_path  # the demo's evidence files (bonus claims)
    # when it runs twice
    call_command("seed_demo")
    counts = (
        Unit.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo")
    # then the second run adds nothing
    assert (
        Unit.objects.count(),
        User.objects.count(),
        RoleAssignment.objects.count(),
        AuditEvent.objects.count(),
    ) == counts
    sd = SubDistrict.objects.get()
    assert sd.name == "XX街道"
    kinds = {k: Unit.objects.filter(sub_district=sd, kind=k).count() for k in UnitKind.values}
    assert kinds == {
        "working_committee": 1,
        "leading_group": 1,
        "office": 1,
        "department": 3,
        "community": 15,
    }
    # every demo account of interfaces.md exists with its role and the demo password
    expected = {
        "office": Role.OFFICE_STAFF,
        "dept-lz": Role.DEPT_ASSESSOR,
        "dept-zz": Role.DEPT_ASSESSOR,
        "dept-xc": Role.DEPT_ASSESSOR,
        "leader": Role.LEADER,
        "auditor": Role.AUDITOR,
    }
    expected |= {f"c{n:02d}": Role.COMMUNITY_STAFF for n in range(1, 16)}
    expected |= {f"c{n:02d}-sec": Role.COMMUNITY_SECRETARY for n in range(1, 16)}
    for username, role in expected.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo12345"), username
        assert access.has_role(user, role), username
    assert User.objects.get(username="admin").is_superuser
    # each community account sits in its own community
    c07 = User.objects.get(username="c07")
    assert access.community_ids(c07) == {Unit.objects.get(code="c07").pk}
    # the departments lead their lines
    assert access.department_lines(User.objects.get(username="dept-xc")) == {"xc"}


def test_sync_schedules_is_idempotent_and_removes_duplicates():
    spec = SCHEDULES[0]
    Schedule.objects.create(name=spec.name, func="old.path", schedule_type=Schedule.DAILY)
    Schedule.objects.create(name=spec.name, func="old.path", schedule_type=Schedule.DAILY)
    call_command("sync_schedules")
    call_command("sync_schedules")
    rows = Schedule.objects.filter(name=spec.name)
    assert rows.count() == 1
    assert rows.get().func == spec.func
    assert rows.get().schedule_type == Schedule.MINUTES
    assert Schedule.objects.count() == len(SCHEDULES)


def test_audit_verify_task_reports_intact_chain(org):
    from workflows.tasks import audit_verify_task

    assert audit_verify_task().startswith("audit chain intact")


def _run_check(env_overrides: dict) -> subprocess.CompletedProcess:
    drop = {"SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_ALLOW_ASYNC_UNSAFE"}  # the last: browser tests
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env |= {"DJANGO_SETTINGS_MODULE": "config.settings.prod", **env_overrides}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_require_a_secret_key():
    result = _run_check({"ALLOWED_HOSTS": "dangjian.example.org"})
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_settings_pass_the_deploy_check():
    result = _run_check(
        {
            "SECRET_KEY": "x" * 60 + "-Prod-Check-Only-9876543210",
            "ALLOWED_HOSTS": "dangjian.example.org",
        }
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_sync_schedules_removes_retired_schedules():
    Schedule.objects.create(
        name="old-job", func="workflows.tasks.gone", schedule_type="I", minutes=5
    )
    call_command("sync_schedules")
    assert not Schedule.objects.filter(name="old-job").exists()
    assert set(Schedule.objects.values_list("name", flat=True)) == {s.name for s in SCHEDULES}
    # --keep-retired leaves an unknown schedule alone
    Schedule.objects.create(name="kept", func="x.y", schedule_type="I", minutes=5)
    call_command("sync_schedules", "--keep-retired")
    assert Schedule.objects.filter(name="kept").exists()
