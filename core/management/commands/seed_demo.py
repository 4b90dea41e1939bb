"""Build the seed's demo sub-district (XX街道) with its units and the demo accounts.

Idempotent: running it again changes nothing that is already there (passwords are reset to the
demo password). Refused when DEBUG is off, so it can never run against a production database.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import demo
from core.audit import audit_record
from core.models import DepartmentLine, Role, RoleAssignment, SubDistrict, Unit, UnitKind, User

DEMO_PASSWORD = "demo12345"

SUB_DISTRICT = ("XX街道", "xx")

FIXED_UNITS = [
    # (code, kind, line, name, short name)
    ("gwh", UnitKind.WORKING_COMMITTEE, "", "XX街道党工委", "党工委"),
    ("ldxz", UnitKind.LEADING_GROUP, "", "街道党建工作领导小组", "领导小组"),
    ("office", UnitKind.OFFICE, "", "领导小组办公室（党建办公室）", "领导小组办公室"),
    (
        "dept-lz",
        UnitKind.DEPARTMENT,
        DepartmentLine.CLEAN_GOVERNANCE,
        "街道纪检监察室",
        "纪检监察室",
    ),
    ("dept-zz", UnitKind.DEPARTMENT, DepartmentLine.ORGANISATION, "党建办", "党建办"),
    ("dept-xc", UnitKind.DEPARTMENT, DepartmentLine.PUBLICITY, "宣传条线", "宣传条线"),
]

COMMUNITIES = [
    "和平里",
    "安华里",
    "青年湖",
    "东湖",
    "光明",
    "幸福",
    "兴华",
    "和谐家园",
    "新风",
    "民安",
    "育才",
    "翠园",
    "春晖",
    "锦绣",
    "滨河",
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高"


class Command(BaseCommand):
    help = "Load the demo sub-district and demo accounts (password demo12345). DEBUG only."

    def add_arguments(self, parser):
        parser.add_argument(
            "--previous-year",
            action="store_true",
            help="also the previous year, published, with its rectification plans (~40 s)",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo 只能在 DEBUG 模式下运行 / refused: DEBUG is off")
        enabled = frozenset({"previous_year"} if options["previous_year"] else ())
        with transaction.atomic():
            created = self._seed(enabled)
        self.stdout.write(
            f"演示数据就绪 / demo data ready: {created} new objects; password {DEMO_PASSWORD}"
        )

    def _seed(self, enabled: frozenset[str] = frozenset()) -> int:
        created = 0
        sd, made = SubDistrict.objects.get_or_create(
            code=SUB_DISTRICT[1], defaults={"name": SUB_DISTRICT[0]}
        )
        created += made
        units = {}
        for order, (code, kind, line, name, short) in enumerate(FIXED_UNITS, start=1):
            units[code], made = Unit.objects.get_or_create(
                sub_district=sd,
                code=code,
                defaults={
                    "kind": kind,
                    "line": line,
                    "name": name,
                    "short_name": short,
                    "sort_order": order,
                },
            )
            created += made
        for number, place in enumerate(COMMUNITIES, start=1):
            code = f"c{number:02d}"
            units[code], made = Unit.objects.get_or_create(
                sub_district=sd,
                code=code,
                defaults={
                    "kind": UnitKind.COMMUNITY,
                    "name": f"{place}社区党委",
                    "short_name": f"{place}社区",
                    "sort_order": 100 + number,
                },
            )
            created += made

        accounts = [
            ("office", "办公室 陈敏", "office", Role.OFFICE_STAFF),
            ("dept-lz", "纪检监察室 孙立", "dept-lz", Role.DEPT_ASSESSOR),
            ("dept-zz", "党建办 周红", "dept-zz", Role.DEPT_ASSESSOR),
            ("dept-xc", "宣传条线 吴昊", "dept-xc", Role.DEPT_ASSESSOR),
            ("leader", "领导小组 郑建国", "ldxz", Role.LEADER),
            ("auditor", "审计 冯静", "gwh", Role.AUDITOR),
        ]
        for number, place in enumerate(COMMUNITIES, start=1):
            code = f"c{number:02d}"
            surname = SURNAMES[number - 1]
            accounts.append((code, f"{place}社区 {surname}经办", code, Role.COMMUNITY_STAFF))
            accounts.append(
                (f"{code}-sec", f"{place}社区 {surname}书记", code, Role.COMMUNITY_SECRETARY)
            )
        for username, display, unit_code, role in accounts:
            created += self._account(sd, username, display, units[unit_code], role)

        admin, made = User.objects.get_or_create(
            username="admin",
            defaults={"is_superuser": True, "is_staff": True, "display_name": "系统管理员"},
        )
        admin.set_password(DEMO_PASSWORD)
        admin.save(update_fields=["password"])
        created += made
        if made:
            audit_record(event_type="demo.seed_user", job="seed_demo", subject=admin)
        for seeder in demo.seeders(enabled):  # demo cases of the other apps (notices, …)
            created += seeder(sd)
        return created

    def _account(self, sd, username, display, unit, role) -> int:
        user, made = User.objects.get_or_create(
            username=username, defaults={"sub_district": sd, "display_name": display}
        )
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
        _, role_made = RoleAssignment.objects.get_or_create(user=user, unit=unit, role=role)
        if made or role_made:
            audit_record(
                event_type="demo.seed_user",
                job="seed_demo",
                subject=user,
                sub_district=sd,
                after={"username": username, "unit": unit.code, "role": role},
            )
        return int(made) + int(role_made)
