"""Units, users and roles in the Django admin, scoped to the administrator's sub-district.

Superusers see every sub-district. A sub-district administrator (role "admin") sees and edits only
their own sub-district's units, users and role assignments. Every save and delete writes an audit
row inside the admin's own transaction.
"""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from . import access
from .audit import audit_record, model_snapshot
from .middleware import client_ip
from .models import RoleAssignment, SubDistrict, Unit, User


def _is_scoped(request) -> bool:
    return not request.user.is_superuser


class ScopedAdminMixin:
    """Queryset, permissions and audit for models that belong to a sub-district."""

    sub_district_path = "sub_district"
    allow_delete = False
    # Models with their own sub_district field: a scoped administrator's objects get theirs before
    # the form validates (model.clean() needs it).
    stamps_sub_district = False

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not (self.stamps_sub_district and _is_scoped(request)):
            return form
        sub_district_id = request.user.sub_district_id

        class ScopedForm(form):
            def __init__(self, *args, **kw):
                super().__init__(*args, **kw)
                self.instance.sub_district_id = sub_district_id

        return ScopedForm

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_scoped(request):
            qs = qs.filter(**{f"{self.sub_district_path}_id": request.user.sub_district_id})
        return qs

    def _admin(self, request) -> bool:
        return request.user.is_superuser or access.is_subdistrict_admin(request.user)

    def has_module_permission(self, request):
        return self._admin(request)

    def has_view_permission(self, request, obj=None):
        return self._admin(request)

    def has_add_permission(self, request, *args):
        return self._admin(request)

    def has_change_permission(self, request, obj=None):
        return self._admin(request)

    def has_delete_permission(self, request, obj=None):
        return self.allow_delete and self._admin(request)

    def _event(self, obj, verb: str) -> str:
        return f"admin.{obj._meta.model_name}.{verb}"

    def save_model(self, request, obj, form, change):
        before = None
        if change and obj.pk:
            previous = type(obj)._default_manager.filter(pk=obj.pk).first()
            before = model_snapshot(previous) if previous else None
        super().save_model(request, obj, form, change)
        audit_record(
            event_type=self._event(obj, "change" if change else "add"),
            actor=request.user,
            subject=obj,
            before=before,
            after=model_snapshot(obj),
            ip=client_ip(request),
        )

    def delete_model(self, request, obj):
        audit_record(
            event_type=self._event(obj, "delete"),
            actor=request.user,
            subject=obj,
            before=model_snapshot(obj),
            ip=client_ip(request),
        )
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(SubDistrict)
class SubDistrictAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "code", "is_active", "auto_escalate", "created_at"]
    search_fields = ["name", "code"]
    sub_district_path = "pk"

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if _is_scoped(request):
            qs = qs.filter(pk=request.user.sub_district_id)
        return qs

    def has_add_permission(self, request, *args):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        # A sub-district's administrator sets its options, not its identity.
        return [] if request.user.is_superuser else ["name", "code", "is_active"]


@admin.register(Unit)
class UnitAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "short_name", "kind", "line", "code", "sort_order", "is_active"]
    list_filter = ["kind", "line", "is_active"]
    search_fields = ["name", "short_name", "code"]
    ordering = ["sub_district", "kind", "sort_order", "name"]
    list_select_related = ["sub_district"]
    stamps_sub_district = True

    def get_list_display(self, request):
        shown = list(super().get_list_display(request))
        return shown if _is_scoped(request) else [*shown, "sub_district"]

    def get_list_filter(self, request):
        shown = list(super().get_list_filter(request))
        return shown if _is_scoped(request) else [*shown, "sub_district"]

    def get_exclude(self, request, obj=None):
        return ["sub_district"] if _is_scoped(request) else []

    def save_model(self, request, obj, form, change):
        if _is_scoped(request):
            obj.sub_district_id = request.user.sub_district_id
        super().save_model(request, obj, form, change)


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 1
    autocomplete_fields = ["unit"]
    fields = ["unit", "role", "created_at"]
    readonly_fields = ["created_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A scoped administrator can pick only their own sub-district's units, on the add form
        # as on the change form (RoleAssignment.clean and the database refuse the rest anyway).
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if _is_scoped(request) and db_field.name == "unit":
            field.queryset = field.queryset.filter(sub_district_id=request.user.sub_district_id)
        return field

    def has_view_permission(self, request, obj=None):
        return True

    def has_add_permission(self, request, obj=None):
        return True

    def has_change_permission(self, request, obj=None):
        return True

    def has_delete_permission(self, request, obj=None):
        return True


@admin.register(User)
class UserAdmin(ScopedAdminMixin, DjangoUserAdmin):
    inlines = [RoleAssignmentInline]
    list_display = ["username", "display_name", "sub_district", "is_active", "last_login"]
    list_filter = ["is_active", "role_assignments__role", "sub_district"]
    search_fields = ["username", "display_name", "first_name", "last_name", "email", "phone"]
    list_select_related = ["sub_district"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Person"), {"fields": ("display_name", "email", "phone", "sub_district")}),
        (_("Status"), {"fields": ("is_active", "last_login", "date_joined")}),
    )
    superuser_fieldsets = ((_("Installation"), {"fields": ("is_staff", "is_superuser")}),)
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("username", "display_name", "sub_district", "password1", "password2"),
            },
        ),
    )
    readonly_fields = ["last_login", "date_joined"]
    stamps_sub_district = True

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if _is_scoped(request):
            qs = qs.filter(is_superuser=False)
        return qs

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            sets = self.add_fieldsets
            if _is_scoped(request):
                sets = (
                    (
                        None,
                        {
                            "classes": ("wide",),
                            "fields": ("username", "display_name", "password1", "password2"),
                        },
                    ),
                )
            return sets
        sets = self.fieldsets
        if _is_scoped(request):
            person = (_("Person"), {"fields": ("display_name", "email", "phone")})
            return (sets[0], person, sets[2])
        return (*sets, *self.superuser_fieldsets)

    def get_list_filter(self, request):
        shown = list(super().get_list_filter(request))
        return [f for f in shown if f != "sub_district"] if _is_scoped(request) else shown

    def save_model(self, request, obj, form, change):
        if _is_scoped(request):
            obj.sub_district_id = request.user.sub_district_id
            obj.is_superuser = False
        super().save_model(request, obj, form, change)

    def save_formset(self, request, form, formset, change):
        # Role changes are state changes: audit each, in the admin's transaction.
        instances = formset.save(commit=False)
        for removed in formset.deleted_objects:
            audit_record(
                event_type="admin.roleassignment.delete",
                actor=request.user,
                subject=removed,
                sub_district=form.instance.sub_district_id,
                before=model_snapshot(removed),
                ip=client_ip(request),
            )
            removed.delete()
        for item in instances:
            created = item.pk is None
            item.save()
            audit_record(
                event_type=f"admin.roleassignment.{'add' if created else 'change'}",
                actor=request.user,
                subject=item,
                sub_district=form.instance.sub_district_id,
                after=model_snapshot(item),
                ip=client_ip(request),
            )
        formset.save_m2m()


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(ScopedAdminMixin, admin.ModelAdmin):
    list_display = ["user", "unit", "role", "created_at"]
    list_filter = ["role", "unit__kind"]
    search_fields = ["user__username", "user__display_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]
    list_select_related = ["user", "unit"]
    sub_district_path = "unit__sub_district"
    allow_delete = True

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if _is_scoped(request) and db_field.name in {"user", "unit"}:
            field.queryset = field.queryset.filter(sub_district_id=request.user.sub_district_id)
        return field
