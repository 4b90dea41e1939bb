"""Organisation, accounts and roles, the audit trail and the working-day calendar overrides.

Who is who comes from ../shared/spec/regulation.md ("Who is who"): a sub-district (街道) owns its
units; users hold roles in units; every record belongs to exactly one sub-district.
"""

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SubDistrict(models.Model):
    """A sub-district (街道): the tenant. Nobody sees another sub-district's data."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    code = models.SlugField(_("code"), max_length=40, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Art. 11, R11.2: when on, a missed deadline escalates the notice at once (the escalated
    # notice is issued by the deadline engine) instead of proposing it to the issuer.
    auto_escalate = models.BooleanField(
        _("escalate overdue notices automatically"),
        default=False,
        help_text=_(
            "Off: the deadline engine proposes escalation to the issuer. On: it escalates and "
            "issues the next notice itself."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("sub-district")
        verbose_name_plural = _("sub-districts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitKind(models.TextChoices):
    WORKING_COMMITTEE = "working_committee", _("Party Working Committee")
    LEADING_GROUP = "leading_group", _("Leading Group")
    OFFICE = "office", _("Leading Group Office")
    DEPARTMENT = "department", _("Lead department")
    COMMUNITY = "community", _("Community Party committee")


class DepartmentLine(models.TextChoices):
    """The three lead departments, each owning one assessment category (Art. 2, Art. 4)."""

    CLEAN_GOVERNANCE = "lz", _("Discipline Inspection & Supervision Office")
    ORGANISATION = "zz", _("Party-building Office")
    PUBLICITY = "xc", _("Publicity line")


class Unit(models.Model):
    """An organisational unit of one sub-district."""

    sub_district = models.ForeignKey(
        SubDistrict, on_delete=models.PROTECT, related_name="units", verbose_name=_("sub-district")
    )
    kind = models.CharField(_("kind"), max_length=24, choices=UnitKind.choices)
    line = models.CharField(
        _("department line"),
        max_length=2,
        choices=DepartmentLine.choices,
        blank=True,
        help_text=_("Only for lead departments: which assessment category the unit leads."),
    )
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=40, blank=True)
    code = models.SlugField(_("code"), max_length=40)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["sub_district", "kind", "sort_order", "name"]
        constraints = [
            models.UniqueConstraint(fields=["sub_district", "code"], name="unit_code_unique"),
            models.UniqueConstraint(fields=["sub_district", "name"], name="unit_name_unique"),
            models.CheckConstraint(
                condition=(Q(kind="department") & ~Q(line=""))
                | (~Q(kind="department") & Q(line="")),
                name="unit_line_only_for_departments",
            ),
            # One lead department per line and sub-district (Art. 2: three lead departments).
            models.UniqueConstraint(
                fields=["sub_district", "line"],
                condition=Q(kind="department"),
                name="unit_one_department_per_line",
            ),
        ]
        indexes = [models.Index(fields=["sub_district", "kind"], name="unit_subdistrict_kind")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.kind == UnitKind.DEPARTMENT and not self.line:
            raise ValidationError({"line": _("A lead department must have its line.")})
        if self.kind != UnitKind.DEPARTMENT and self.line:
            raise ValidationError({"line": _("Only a lead department has a line.")})
        if self.pk is not None and self.sub_district_id is not None:
            # The database refuses it too (migration 0007): people would hold roles across.
            moved = (
                Unit.objects.filter(pk=self.pk)
                .exclude(sub_district_id=self.sub_district_id)
                .filter(role_assignments__isnull=False)
                .exists()
            )
            if moved:
                raise ValidationError(
                    {
                        "sub_district": _(
                            "People hold roles in this unit: it cannot move to another "
                            "sub-district."
                        )
                    }
                )

    @property
    def display_name(self) -> str:
        return self.short_name or self.name


class User(AbstractUser):
    """A person with an account. Belongs to one sub-district; superusers may belong to none."""

    sub_district = models.ForeignKey(
        SubDistrict,
        on_delete=models.PROTECT,
        related_name="users",
        null=True,
        blank=True,
        verbose_name=_("sub-district"),
    )
    display_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email_notifications = models.CharField(
        _("e-mail notifications"),
        max_length=10,
        choices=[
            ("immediate", _("Immediately")),
            ("digest", _("Daily digest at 08:30")),
            ("off", _("Off")),
        ],
        default="immediate",
    )

    objects = UserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=Q(is_superuser=True) | Q(sub_district__isnull=False),
                name="user_has_subdistrict_unless_superuser",
            )
        ]

    def __str__(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    def clean(self) -> None:
        super().clean()
        if not self.is_superuser and self.sub_district_id is None:
            raise ValidationError(
                {"sub_district": _("Every user except a superuser belongs to a sub-district.")}
            )
        if self.pk is not None:
            # The database refuses it too (migration 0007): roles never cross sub-districts.
            elsewhere = (
                RoleAssignment.objects.filter(user_id=self.pk)
                .exclude(unit__sub_district_id=self.sub_district_id)
                .exists()
                if self.sub_district_id is not None
                else RoleAssignment.objects.filter(user_id=self.pk).exists()
            )
            if elsewhere:
                raise ValidationError(
                    {
                        "sub_district": _(
                            "The user holds roles in units of another sub-district: remove "
                            "them first."
                        )
                    }
                )


class Role(models.TextChoices):
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    COMMUNITY_SECRETARY = "community_secretary", _("Community Party secretary")
    OFFICE_STAFF = "office_staff", _("Office staff")
    DEPT_ASSESSOR = "dept_assessor", _("Department assessor")
    LEADER = "leader", _("Leading Group member")
    AUDITOR = "auditor", _("Auditor")
    ADMIN = "admin", _("Administrator")


# Which unit kinds a role may be held in. Auditors and administrators act for the whole
# sub-district and may sit in any of its units.
ROLE_UNIT_KINDS: dict[str, set[str]] = {
    Role.COMMUNITY_STAFF: {UnitKind.COMMUNITY},
    Role.COMMUNITY_SECRETARY: {UnitKind.COMMUNITY},
    Role.OFFICE_STAFF: {UnitKind.OFFICE},
    Role.DEPT_ASSESSOR: {UnitKind.DEPARTMENT},
    Role.LEADER: {UnitKind.LEADING_GROUP, UnitKind.WORKING_COMMITTEE},
    Role.AUDITOR: set(UnitKind.values),
    Role.ADMIN: set(UnitKind.values),
}


class RoleAssignment(models.Model):
    """A user holds a role in a unit of their own sub-district."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="role_assignments", verbose_name=_("unit")
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["unit__sort_order", "role"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="role_assignment_unique")
        ]
        indexes = [models.Index(fields=["unit", "role"], name="roleassignment_unit_role")]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"

    def clean(self) -> None:
        # A user being added in the same form has no id yet, but is already attached to the
        # row (the admin's inline): check them too, not only saved users.
        user = self.user if self._meta.get_field("user").is_cached(self) else None
        if user is None and self.user_id is not None:
            user = self.user
        if self.unit_id is None or user is None:
            return
        allowed = ROLE_UNIT_KINDS.get(self.role, set())
        if self.unit.kind not in allowed:
            raise ValidationError(
                {
                    "role": _("The role “%(role)s” cannot be held in a unit of kind “%(kind)s”.")
                    % {"role": self.get_role_display(), "kind": self.unit.get_kind_display()}
                }
            )
        # The database refuses it too (migration 0007), whatever path writes the row.
        if user.sub_district_id is None or user.sub_district_id != self.unit.sub_district_id:
            raise ValidationError(
                {"unit": _("The unit belongs to another sub-district than the user.")}
            )


# --- Audit trail --------------------------------------------------------------------------------


class AuditEvent(models.Model):
    """One row per state change, written only by core.audit.audit_record.

    Append-only in the database itself (triggers, migration 0002) and hash-chained: each row's
    `hash` covers its content and `prev_hash`, the previous row's hash.
    """

    # Indexes are few on purpose: every state change appends here, the sweep 100,000 rows at a
    # time (make bench). sub_district and actor are served by the composite indexes below.
    event_type = models.CharField(_("event type"), max_length=64)
    sub_district = models.ForeignKey(
        SubDistrict,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sub-district"),
        db_index=False,
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )
    # For scheduled jobs (actor is null): the job's name; for a failed login: the username tried.
    actor_label = models.CharField(_("actor label"), max_length=150, blank=True)
    subject_type = models.ForeignKey(
        ContentType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("subject type"),
        db_index=False,  # served by auditevent_subject (subject_type, subject_id)
    )
    subject_id = models.CharField(_("subject id"), max_length=64, blank=True)
    subject_repr = models.CharField(_("subject"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("time"))
    before = models.JSONField(_("before"), null=True, blank=True, encoder=DjangoJSONEncoder)
    after = models.JSONField(_("after"), null=True, blank=True, encoder=DjangoJSONEncoder)
    ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-id"]
        constraints = [
            # Two rows chained to the same predecessor would be a fork of the chain.
            models.UniqueConstraint(fields=["prev_hash"], name="auditevent_no_fork"),
            # A constraint, not unique=True: no extra LIKE index on PostgreSQL.
            models.UniqueConstraint(fields=["hash"], name="auditevent_hash_unique"),
        ]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"], name="auditevent_subject"),
            models.Index(fields=["sub_district", "-created_at"], name="auditevent_sd_time"),
            models.Index(fields=["actor", "-created_at"], name="auditevent_actor_time"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_type} {self.subject_repr}"


class AuditChainHead(models.Model):
    """The single row every audit writer locks: it serializes appends so the chain never forks."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_hash = models.CharField(max_length=64)
    last_event_id = models.BigIntegerField(null=True)
    count = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("audit chain head")
        constraints = [models.CheckConstraint(condition=Q(id=1), name="auditchainhead_singleton")]

    def __str__(self) -> str:
        return f"{self.count} · {self.last_hash[:12]}"


# --- Working-day calendar -----------------------------------------------------------------------


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("Holiday (no work)")
    WORKDAY = "workday", _("Working day (including make-up days)")


class CalendarDay(models.Model):
    """An office-entered day that overrides the built-in calendar (e.g. 2027 holidays, 调休)."""

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=8, choices=DayKind.choices)
    name = models.CharField(_("holiday name"), max_length=40, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}".strip()


class CalendarYear(models.Model):
    """Marks a year's official arrangement as entered, so deadlines may be counted in it."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    complete = models.BooleanField(
        _("arrangement complete"),
        default=False,
        help_text=_("Tick once every holiday and make-up working day of the year is entered."),
    )
    source = models.CharField(
        _("source"), max_length=200, blank=True, help_text=_("E.g. the State Council notice.")
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("calendar year")
        verbose_name_plural = _("calendar years")
        ordering = ["year"]

    def __str__(self) -> str:
        return str(self.year)


class OnSubject(models.Model):
    """A row of one sub-district about one object of any type (a notice, a reply, a report…)."""

    sub_district = models.ForeignKey(
        SubDistrict, on_delete=models.PROTECT, related_name="+", verbose_name=_("sub-district")
    )
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("subject type")
    )
    subject_id = models.BigIntegerField(_("subject id"))

    class Meta:
        abstract = True


# --- Open work items (the one table behind every inbox) ------------------------------------------


class WorkItemState(models.TextChoices):
    OPEN = "open", _("Open")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class WorkItem(OnSubject):
    """One piece of work waiting on a unit, with its due time (house style: the inbox table).

    Written by each app's services in the same transaction as the change that opens or closes
    it; the 待办 inbox, the traffic lights and (later) the deadline sweep read only this table.
    """

    kind = models.CharField(_("kind"), max_length=40)
    owner_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="work_items", verbose_name=_("unit")
    )
    title = models.CharField(_("title"), max_length=250)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    url = models.CharField(_("link"), max_length=200)
    due_at = models.DateTimeField(_("due"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=10, choices=WorkItemState.choices, default=WorkItemState.OPEN
    )
    returned = models.BooleanField(_("returned for rework"), default=False)
    # A group task (the joint team's verification of a category, Art. 14) is held by the member
    # who claimed it; null while nobody holds it, and for work that is not a group task.
    holder = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("held by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Set once by the deadline sweep when it records the overdue event (display never needs it:
    # lights are computed from due_at at read time).
    overdue_at = models.DateTimeField(_("overdue recorded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("work item")
        verbose_name_plural = _("work items")
        constraints = [
            models.UniqueConstraint(
                fields=["subject_type", "subject_id", "kind"],
                condition=Q(state="open"),
                name="workitem_one_open_per_subject_kind",
            )
        ]
        indexes = [
            models.Index(fields=["owner_unit", "state", "due_at"], name="workitem_owner_state_due"),
            models.Index(fields=["sub_district", "state", "due_at"], name="workitem_sd_state_due"),
            models.Index(fields=["subject_type", "subject_id"], name="workitem_subject"),
            # The sweep's overdue scan: open items past due not yet recorded.
            models.Index(
                fields=["due_at"],
                condition=Q(state="open", overdue_at__isnull=True),
                name="workitem_sweep_overdue",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class ReminderSent(models.Model):
    """The reminder ledger: one row per (item, step, due time) guarantees one reminder per step,
    whatever the number of sweeps or clusters; a changed due time gets its own reminders."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="reminders")
    days = models.PositiveSmallIntegerField(_("working days left"))
    due_at = models.DateTimeField(_("due"))
    sent_at = models.DateTimeField(_("sent at"))

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        constraints = [
            models.UniqueConstraint(
                fields=["work_item", "days", "due_at"], name="remindersent_once_per_step"
            )
        ]

    def __str__(self) -> str:
        return f"{self.work_item_id} −{self.days}"


class DigestSent(models.Model):
    """One daily e-mail digest per person and local date, whatever the number of runs."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    count = models.PositiveIntegerField(_("notifications"), default=0)
    sent_at = models.DateTimeField(_("sent at"), auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "date"], name="digestsent_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.date}"


class SweepRun(models.Model):
    """One run of the deadline sweep, for the health page and `deadline_status`."""

    started_at = models.DateTimeField(_("started at"), db_index=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    ok = models.BooleanField(_("succeeded"), default=False)
    examined = models.PositiveIntegerField(_("items examined"), default=0)
    reminders = models.PositiveIntegerField(_("reminders"), default=0)
    overdue = models.PositiveIntegerField(_("overdue events"), default=0)
    proposals = models.PositiveIntegerField(_("escalation proposals"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("deadline sweep")
        verbose_name_plural = _("deadline sweeps")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.started_at:%Y-%m-%d %H:%M} {'ok' if self.ok else 'failed'}"


class Notification(models.Model):
    """A message to a unit (and optionally one person), written in the transaction of its cause.

    Delivery (notification centre, e-mail, digests) is workflows' (the task core.notifications
    dispatches to); the rows are the outbox it reads, so nothing is lost or sent twice.
    """

    sub_district = models.ForeignKey(
        SubDistrict, on_delete=models.PROTECT, related_name="+", verbose_name=_("sub-district")
    )
    recipient_unit = models.ForeignKey(
        Unit, on_delete=models.PROTECT, related_name="notifications", verbose_name=_("unit")
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        verbose_name=_("user"),
    )
    verb = models.CharField(_("event"), max_length=64)
    title = models.CharField(_("title"), max_length=250)
    url = models.CharField(_("link"), max_length=200, blank=True)
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, null=True, related_name="+"
    )
    subject_id = models.BigIntegerField(null=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("e-mailed at"), null=True, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["recipient_unit", "-created_at"], name="notification_unit_time"),
            models.Index(fields=["delivered_at"], name="notification_undelivered"),
            models.Index(fields=["recipient_user", "-created_at"], name="notification_user_time"),
            models.Index(
                fields=["recipient_user"],
                condition=Q(read_at__isnull=True),
                name="notification_user_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.title


# --- Evidence files ------------------------------------------------------------------------------


class Evidence(OnSubject):
    """An uploaded file, stored under a generated name outside any URL, served only by a view that
    checks the user may see its subject (a notice's reply, a measure, later a report)."""

    original_name = models.CharField(_("file name"), max_length=255)
    stored_name = models.CharField(_("stored name"), max_length=100, unique=True)
    size = models.BigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    file_type = models.CharField(_("file type"), max_length=10)
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("evidence file")
        verbose_name_plural = _("evidence files")
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"], name="evidence_subject")]

    def __str__(self) -> str:
        return self.original_name


class FormSubmission(models.Model):
    """A one-time token of a form that creates something (a new notice, a bulk issue): claimed
    in the transaction of the creation, so a double click or a resubmitted page creates nothing
    twice (the second claim meets the primary key and gets 409). A failed creation rolls the
    claim back with it, so the same page can be corrected and sent again."""

    token = models.UUIDField(_("token"), primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    created_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        verbose_name = _("form submission")
        verbose_name_plural = _("form submissions")

    def __str__(self) -> str:
        return str(self.token)


# --- Official documents (models in core/documents/, registered in this app) ----------------------

from core.documents.models import DocumentCounter, StoredDocument  # noqa: E402, F401
