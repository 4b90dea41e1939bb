"""Document numbers and stored copies of rendered documents; imported at the end of core.models so
Django registers them in the app core."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class DocumentCounter(models.Model):
    """The last 发文字号 issued per sub-district, year and prefix ("某街党建〔2027〕3号": prefix
    某街党建, year 2027, n 3). Locked with select_for_update while the next number is taken, so
    two documents never share one."""

    sub_district = models.ForeignKey(
        "core.SubDistrict",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sub-district"),
    )
    year = models.PositiveIntegerField(_("year"))
    prefix = models.CharField(_("prefix"), max_length=50)
    last = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        app_label = "core"
        verbose_name = _("document counter")
        verbose_name_plural = _("document counters")
        constraints = [
            models.UniqueConstraint(
                fields=["sub_district", "year", "prefix"], name="documentcounter_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.prefix}〔{self.year}〕{self.last}"


class StoredDocument(models.Model):
    """A rendered document (a feedback letter's PDF, a bulletin's .docx) kept with its SHA-256,
    in the database (BinaryField): it is written in the transaction of the change that produced
    it, and rolls back with it. One row per (owner, kind, file name); storing again replaces the
    content."""

    sub_district = models.ForeignKey(
        "core.SubDistrict",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sub-district"),
    )
    owner_type = models.ForeignKey(
        ContentType, on_delete=models.PROTECT, related_name="+", verbose_name=_("owner type")
    )
    owner_id = models.BigIntegerField(_("owner id"))
    kind = models.CharField(_("kind"), max_length=50)
    filename = models.CharField(_("file name"), max_length=255)
    content = models.BinaryField(_("content"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    size = models.BigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        app_label = "core"
        verbose_name = _("stored document")
        verbose_name_plural = _("stored documents")
        constraints = [
            models.UniqueConstraint(
                fields=["owner_type", "owner_id", "kind", "filename"],
                name="storeddocument_unique",
            )
        ]
        indexes = [
            models.Index(fields=["owner_type", "owner_id"], name="storeddocument_owner"),
        ]

    def __str__(self) -> str:
        return self.filename
