"""Demo data of the assessment for `seed_demo`: this year's assessment, in progress, lively but
plausible — made through the services, as the Office, the departments, the Leading Group and the
communities would make it.

- the year with the example catalogue (appraisal.catalogue_data), the bonus declaration deadline
  30 June 23:59:59 and the report tasks of every community (started as 进行中);
- past-due reports mostly filed on time, some late, some missing (Art. 12); a few of the reports
  falling due in the coming days filed early;
- department scores for part of the grid, two adjustments (Art. 10), bonus claims at every stage
  (Art. 6), both satisfaction votes and the comprehensive evaluation for some communities.

Idempotent: nothing happens when the sub-district already has an assessment year for the current
year (Asia/Shanghai), or has no Office user to act as. Deterministic for a given sub-district,
year and day.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from core import evidence, workdays
from core.models import Evidence, Role, RoleAssignment, Unit, UnitKind

from . import catalogue_data
from .files import catalogue as catalogue_file
from .models import (
    Adjustment,
    AssessedUnit,
    AssessmentYear,
    BonusClaim,
    BonusLevel,
    Category,
    Comprehensive,
    Indicator,
    Report,
    Schedule,
    Score,
    Vote,
    VoteKind,
)
from .selectors.catalogue import catalogue_digest
from .services.catalogue import catalogue_approve
from .services.claims import claim_decide, claim_declare, claim_review
from .services.inputs import comprehensive_save, votes_save
from .services.reports import report_submit
from .services.scoring import CellInput, adjustment_add, scores_save
from .services.year import year_advance, year_create, year_update_settings

# Share of past-due reports filed on time / late (the rest are missing), by kind of community.
PROFILES = {
    "steady": (0.92, 0.05),
    "average": (0.82, 0.10),
    "weak": (0.60, 0.20),
}
EARLY_WINDOW = dt.timedelta(days=10)  # reports due this soon may already be filed

REPORT_PHRASES = (
    "已按要求完成，相关记录已归档。",
    "已按计划开展，台账资料齐全。",
    "工作已落实，详见附件材料。",
    "已组织实施，存在的不足已列入下阶段改进。",
)

# (community index, level, title, description, how far it goes, days before the deadline)
CLAIMS = (
    (
        0,
        BonusLevel.CITY,
        "社区党委获评市级“五星级”基层党组织",
        "市委组织部通报表彰，附表彰文件。",
        "approved",
        45,
    ),
    (
        3,
        BonusLevel.DISTRICT,
        "“红色物业”党建项目获评区级优秀党建品牌",
        "区委组织部年度优秀党建品牌评选，附通报文件。",
        "reviewed",
        20,
    ),
    (
        6,
        BonusLevel.DISTRICT,
        "社区志愿服务队获区级“优秀志愿服务组织”称号",
        "区文明办表彰决定，附证书扫描件。",
        "declared",
        8,
    ),
    (
        9,
        BonusLevel.DISTRICT,
        "社区党委书记获评街道优秀党务工作者",
        "街道党工委表彰，附证书。",
        "rejected",
        30,
    ),
)


def seed_appraisal(sub_district) -> int:
    """Seed this year's assessment of the sub-district; returns the number of objects created."""
    now = timezone.now()
    number = workdays.local_date(now).year
    if AssessmentYear.objects.filter(sub_district=sub_district, year=number).exists():
        return 0
    office = _member(sub_district, Role.OFFICE_STAFF)
    if office is None:
        return 0
    with evidence.removed_if_failed(), transaction.atomic():
        return _Seeder(sub_district, office, number, now).run()


def _member(sub_district, role: str, unit: Unit | None = None):
    """An active user holding the role in the sub-district (in the unit, when given)."""
    assignments = RoleAssignment.objects.filter(
        role=role,
        unit__sub_district=sub_district,
        unit__is_active=True,
        user__is_active=True,
        user__sub_district=sub_district,
    )
    if unit is not None:
        assignments = assignments.filter(unit=unit)
    found = assignments.select_related("user").order_by("user__username").first()
    return found.user if found else None


def demo_pdf(title: str) -> bytes:
    """A small valid one-page PDF (ASCII title) with correct cross-reference offsets."""
    text = title.encode("ascii", "replace").replace(b"(", b"[").replace(b")", b"]")
    stream = b"BT /F1 14 Tf 72 770 Td (" + text + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def _pdf_upload(name: str, title: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, demo_pdf(title), content_type="application/pdf")


def _points(value: float, maximum: Decimal) -> Decimal:
    """To the half point, within [0, maximum]."""
    halves = (Decimal(str(value)) * 2).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return min(max(halves / 2, Decimal(0)), maximum).quantize(Decimal("0.01"))


class _Seeder:
    def __init__(self, sub_district, office, number: int, now: dt.datetime):
        self.sd = sub_district
        self.office = office
        self.number = number
        self.now = now
        self.today = workdays.local_date(now)
        self.rng = random.Random(f"{sub_district.code}-{number}")

    def run(self) -> int:
        evidence_before = Evidence.objects.filter(sub_district=self.sd).count()
        self.year = year_create(acting_user=self.office, number=self.number)
        self._catalogue()
        year_update_settings(
            year_id=self.year.pk,
            acting_user=self.office,
            values={
                "claim_declare_by": dt.datetime(
                    self.number, 6, 30, 23, 59, 59, tzinfo=workdays.SHANGHAI
                )
            },
        )
        # Art. 5: the Office approves the catalogue before the year starts.
        catalogue_approve(
            year_id=self.year.pk, acting_user=self.office, digest=catalogue_digest(self.year)
        )
        self.year = year_advance(year_id=self.year.pk, acting_user=self.office, now=self.now)
        self.units = list(
            AssessedUnit.objects.filter(year=self.year).select_related("unit").order_by("code")
        )
        self.staff = {
            a.unit_id: _member(self.sd, Role.COMMUNITY_STAFF, a.unit)
            or _member(self.sd, Role.COMMUNITY_SECRETARY, a.unit)
            for a in self.units
        }
        self.profile = {a.unit_id: self._profile(i) for i, a in enumerate(self.units)}
        self._reports()
        self._scores()
        self._adjustments()
        self._claims()
        self._votes_and_comprehensive()
        created = 1 + sum(
            model.objects.filter(year=self.year).count()
            for model in (
                Category,
                Indicator,
                AssessedUnit,
                Report,
                Score,
                Adjustment,
                BonusClaim,
                Vote,
                Comprehensive,
            )
        )
        return created + Evidence.objects.filter(sub_district=self.sd).count() - evidence_before

    @staticmethod
    def _profile(index: int) -> str:
        if index % 5 == 4:
            return "weak"
        if index % 3 == 1:
            return "average"
        return "steady"

    def _past(self, fraction: float) -> dt.date:
        """A day of this year before today, `fraction` of the way from 1 January."""
        start = dt.date(self.number, 1, 1)
        return start + dt.timedelta(days=int((self.today - start).days * fraction))

    # ------------------------------------------------------------ catalogue

    def _catalogue(self) -> None:
        """The example catalogue, imported as the Office would import the spreadsheet."""
        lead_by_line = {
            u.line: u
            for u in Unit.objects.filter(
                sub_district=self.sd, kind=UnitKind.DEPARTMENT, is_active=True
            )
        }
        office_unit = Unit.objects.filter(
            sub_district=self.sd, kind=UnitKind.OFFICE, is_active=True
        ).first()
        categories = []
        for c in catalogue_data.CATEGORIES:
            lead = lead_by_line.get(c.line) or office_unit
            categories.append(
                {
                    "code": c.code,
                    "name": c.name,
                    "department": lead.name if lead else c.department,
                    "max_points": c.max_points,
                }
            )
        indicators = [
            {
                "code": i.code,
                "category": i.category,
                "name": i.name,
                "description": i.description,
                "max_points": i.max_points,
                "evidence_required": catalogue_file.YES
                if i.evidence_required
                else catalogue_file.NO,
                "schedule": catalogue_file.SCHEDULE_LABELS[i.schedule],
                "due_date": dt.date(self.number, *i.due) if i.due else None,
            }
            for i in catalogue_data.INDICATORS
        ]
        catalogue_file.import_catalogue_rows(
            self.year,
            categories=categories,
            indicators=indicators,
            acting_user=self.office,
            source="appraisal.catalogue_data",
        )

    # ------------------------------------------------------------ reports (Art. 7, 8, 12)

    def _reports(self) -> None:
        reports = list(
            Report.objects.filter(year=self.year)
            .select_related("indicator")
            .order_by("due_at", "indicator__code", "unit_id")
        )
        past = [r for r in reports if r.due_at < self.now]
        forced: dict[int, str] = {}
        staffed = [a.unit_id for a in self.units if self.staff.get(a.unit_id)]
        if past and staffed:
            # Art. 12 must show in the demo: one late and one missing report at least.
            unit_late, unit_missing = staffed[min(1, len(staffed) - 1)], staffed[-1]
            first = next((r.pk for r in past if r.unit_id == unit_late), None)
            last = next((r.pk for r in reversed(past) if r.unit_id == unit_missing), None)
            forced[first] = "late"
            forced.setdefault(last, "missing")
        backdated: list[tuple[int, dt.datetime]] = []
        for report in reports:
            user = self.staff.get(report.unit_id)
            if user is None:
                continue
            on_time, late = PROFILES[self.profile[report.unit_id]]
            if report.due_at < self.now:
                draw = self.rng.random()
                outcome = forced.get(report.pk) or (
                    "on_time" if draw < on_time else "late" if draw < on_time + late else "missing"
                )
                if outcome == "missing":
                    continue
                if outcome == "on_time":
                    moment = report.due_at - dt.timedelta(
                        days=self.rng.randint(0, 6), hours=self.rng.randint(1, 9)
                    )
                else:
                    moment = min(
                        report.due_at
                        + dt.timedelta(days=self.rng.randint(1, 15), hours=self.rng.randint(0, 8)),
                        self.now,
                    )
            elif report.due_at - self.now <= EARLY_WINDOW and self.rng.random() < on_time / 2:
                moment = None  # filed now, ahead of its due time
            else:
                continue
            self._submit(report, user)
            if moment is not None:
                backdated.append((report.pk, moment))
        # The service stamps the submission with the current time; historic submissions get their
        # plausible past time here. Acceptable in a demo seeder only: the audit row of each keeps
        # the real time of seeding.
        for pk, moment in backdated:
            Report.objects.filter(pk=pk).update(submitted_at=moment)

    def _submit(self, report: Report, user) -> None:
        ind = report.indicator
        if ind.schedule == Schedule.MONTHLY:
            period = f"{report.period}月"
        elif ind.schedule == Schedule.QUARTERLY:
            period = f"第{report.period}季度"
        elif ind.schedule == Schedule.ANNUAL:
            period = "本年度"
        else:
            period = ""
        text = f"{period}{ind.name}：{self.rng.choice(REPORT_PHRASES)}"
        files = []
        if ind.evidence_required:
            files = [
                _pdf_upload(
                    f"{ind.code}-{report.period}.pdf",
                    f"Demo evidence {ind.code} period {report.period}",
                )
            ]
        report_submit(report_id=report.pk, acting_user=user, text=text, files=files)

    # ------------------------------------------------------------ department scores

    def _scorer(self, category: Category):
        if category.lead_unit is None:
            return None
        role = (
            Role.OFFICE_STAFF if category.lead_unit.kind == UnitKind.OFFICE else Role.DEPT_ASSESSOR
        )
        return _member(self.sd, role, category.lead_unit)

    def _scores(self) -> None:
        ranges = {"steady": (0.85, 1.0), "average": (0.75, 0.95), "weak": (0.6, 0.85)}
        for category in Category.objects.filter(year=self.year).select_related("lead_unit"):
            scorer = self._scorer(category)
            if scorer is None:
                continue
            cells = []
            for ind in Indicator.objects.filter(category=category).order_by("code"):
                for assessed in self.units:
                    if self.rng.random() > 0.55:  # the departments are part-way through
                        continue
                    low, high = ranges[self.profile[assessed.unit_id]]
                    value = _points(
                        float(ind.max_points) * self.rng.uniform(low, high), ind.max_points
                    )
                    comment = ""
                    if value < ind.max_points * Decimal("0.8"):
                        comment = "台账资料不完整，酌情扣分。"
                    cells.append(CellInput(assessed.unit_id, ind.pk, str(value), comment))
            if cells:
                scores_save(
                    year_id=self.year.pk, category_id=category.pk, acting_user=scorer, cells=cells
                )

    # ------------------------------------------------------------ adjustments (Art. 10)

    def _adjustments(self) -> None:
        if not self.units:
            return
        plan = (
            (
                "LZ",
                self.units[min(4, len(self.units) - 1)],
                "-1.00",
                "专项检查发现廉政风险防控台账未及时更新",
                "纪检监察室专项检查",
                0.4,
            ),
            (
                "XC",
                self.units[0],
                "0.50",
                "社区党建信息被区级媒体采用 2 篇",
                "宣传条线信息宣传月度通报",
                0.6,
            ),
        )
        categories = {
            c.code: c for c in Category.objects.filter(year=self.year).select_related("lead_unit")
        }
        for code, assessed, points, reason, source, fraction in plan:
            category = categories.get(code)
            if category is None:
                continue
            adjustment_add(
                year_id=self.year.pk,
                acting_user=self._scorer(category) or self.office,
                unit_id=assessed.unit_id,
                category_id=category.pk,
                points=points,
                reason=reason,
                source=source,
                date=self._past(fraction),
            )

    # ------------------------------------------------------------ bonus claims (Art. 6)

    def _claims(self) -> None:
        leader = _member(self.sd, Role.LEADER)
        declare_by = self.year.claim_declare_by
        for index, level, title, description, stage, days_before in CLAIMS:
            if index >= len(self.units):
                continue
            assessed = self.units[index]
            user = self.staff.get(assessed.unit_id)
            if user is None:
                continue
            claim = claim_declare(
                year_id=self.year.pk,
                acting_user=user,
                unit_id=assessed.unit_id,
                level=level,
                title=title,
                description=description,
                files=[_pdf_upload(f"{assessed.code}-honour.pdf", f"Demo honour {assessed.code}")],
            )
            declared_at = self.now
            if self.now > declare_by:
                # Declared before the deadline (see the note on backdating in _reports).
                declared_at = max(
                    declare_by - dt.timedelta(days=days_before),
                    dt.datetime(self.number, 1, 10, 10, tzinfo=workdays.SHANGHAI),
                )
                BonusClaim.objects.filter(pk=claim.pk).update(declared_at=declared_at)
            if stage == "declared":
                continue
            if stage == "rejected":
                claim_review(
                    claim_id=claim.pk,
                    acting_user=self.office,
                    forward=False,
                    note="该荣誉为街道级表彰，不属于第六条规定的区级及以上表彰，不予加分。",
                )
                continue
            claim_review(
                claim_id=claim.pk,
                acting_user=self.office,
                forward=True,
                note="材料齐全，符合第六条规定，提交领导小组审定。",
            )
            if stage != "approved" or leader is None:
                continue
            # Without the year's working-day calendar the publicity period cannot be counted: the
            # claim then waits for the Leading Group.
            with contextlib.suppress(ValidationError):
                claim_decide(
                    claim_id=claim.pk,
                    acting_user=leader,
                    approve=True,
                    note="同意，予以通报展示。",
                    now=min(self.now, declared_at + dt.timedelta(days=14)),
                )

    # ------------------------------------------------------------ satisfaction, comprehensive

    def _votes_and_comprehensive(self) -> None:
        votes = []
        for assessed in self.units[:6]:
            for kind, ballots in ((VoteKind.DEBRIEFING, 21), (VoteKind.DEMOCRATIC, 80)):
                total = ballots + self.rng.randint(0, ballots // 2)
                dissatisfied = self.rng.randint(0, max(1, total // 20))
                basically = self.rng.randint(0, total // 4)
                votes.append(
                    {
                        "unit_id": assessed.unit_id,
                        "kind": kind,
                        "satisfied": total - basically - dissatisfied,
                        "basically": basically,
                        "dissatisfied": dissatisfied,
                    }
                )
        if votes:
            votes_save(year_id=self.year.pk, acting_user=self.office, rows=votes)
        rows = [
            {
                "unit_id": assessed.unit_id,
                "score": str(
                    Decimal(str(round(self.rng.uniform(78, 96), 1))).quantize(Decimal("0.01"))
                ),
                "advanced": index in (0, 2),
            }
            for index, assessed in enumerate(self.units[:8])
        ]
        if rows:
            comprehensive_save(year_id=self.year.pk, acting_user=self.office, rows=rows)
