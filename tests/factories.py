"""factory_boy factories for the organisation."""

import factory

from core.models import DepartmentLine, Role, RoleAssignment, SubDistrict, Unit, UnitKind, User

PASSWORD = "pass-12345-word"


class SubDistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SubDistrict
        django_get_or_create = ("code",)

    name = factory.Sequence(lambda n: f"测试街道{n}")
    code = factory.Sequence(lambda n: f"sd{n}")


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    sub_district = factory.SubFactory(SubDistrictFactory)
    kind = UnitKind.COMMUNITY
    line = ""
    name = factory.Sequence(lambda n: f"测试社区{n}党委")
    code = factory.Sequence(lambda n: f"u{n}")
    sort_order = factory.Sequence(lambda n: n)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    display_name = factory.Sequence(lambda n: f"用户{n}")
    sub_district = factory.SubFactory(SubDistrictFactory)
    password = factory.django.Password(PASSWORD)


def make_member(unit: Unit, role: str, username: str | None = None) -> User:
    kwargs = {"sub_district": unit.sub_district}
    if username:
        kwargs["username"] = username
    user = UserFactory(**kwargs)
    RoleAssignment.objects.create(user=user, unit=unit, role=role)
    return user


class Org:
    """One sub-district with every kind of unit and one user per role."""

    def __init__(self, prefix: str):
        self.sd = SubDistrictFactory(code=prefix, name=f"{prefix}街道")
        mk = lambda kind, code, line="": UnitFactory(  # noqa: E731
            sub_district=self.sd,
            kind=kind,
            code=f"{prefix}-{code}",
            line=line,
            name=f"{prefix}-{code}",
        )
        self.committee = mk(UnitKind.WORKING_COMMITTEE, "gwh")
        self.leading_group = mk(UnitKind.LEADING_GROUP, "ldxz")
        self.office = mk(UnitKind.OFFICE, "office")
        self.dept_lz = mk(UnitKind.DEPARTMENT, "lz", DepartmentLine.CLEAN_GOVERNANCE)
        self.dept_zz = mk(UnitKind.DEPARTMENT, "zz", DepartmentLine.ORGANISATION)
        self.dept_xc = mk(UnitKind.DEPARTMENT, "xc", DepartmentLine.PUBLICITY)
        self.community = mk(UnitKind.COMMUNITY, "c01")
        self.community2 = mk(UnitKind.COMMUNITY, "c02")
        self.users = {
            Role.OFFICE_STAFF: make_member(self.office, Role.OFFICE_STAFF, f"{prefix}-office"),
            Role.DEPT_ASSESSOR: make_member(self.dept_lz, Role.DEPT_ASSESSOR, f"{prefix}-dept"),
            Role.LEADER: make_member(self.leading_group, Role.LEADER, f"{prefix}-leader"),
            Role.AUDITOR: make_member(self.committee, Role.AUDITOR, f"{prefix}-auditor"),
            Role.ADMIN: make_member(self.office, Role.ADMIN, f"{prefix}-admin"),
            Role.COMMUNITY_STAFF: make_member(
                self.community, Role.COMMUNITY_STAFF, f"{prefix}-c01"
            ),
            Role.COMMUNITY_SECRETARY: make_member(
                self.community, Role.COMMUNITY_SECRETARY, f"{prefix}-c01-sec"
            ),
        }

    def user(self, role: str) -> User:
        return self.users[role]
