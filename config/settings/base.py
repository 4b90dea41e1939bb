"""Settings shared by every environment; each value that differs comes from the environment.

Environment variables (../shared/spec/interfaces.md): DATABASE_URL, REDIS_URL, SECRET_KEY, DEBUG,
ALLOWED_HOSTS, EMAIL_URL (or EMAIL_HOST/…), PORT.
"""

import os
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import dj_database_url
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if not value:
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "core.apps.CoreAdminConfig",  # django.contrib.admin with the sub-district-scoped site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "viewflow",
    "viewflow.workflow",
    "django_q",
    "axes",
    "csp",
    "bootstrap",
    "django_static_echarts",
    "core.apps.CoreConfig",
    "rectification.apps.RectificationConfig",
    "appraisal.apps.AppraisalConfig",
    "workflows.apps.WorkflowsConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "core.session_lifetime.AbsoluteSessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "core.middleware.RequestContextMiddleware",
    "core.middleware.ErrorMiddleware",
    # Cache-Control: private, no-store for logged-in users and downloads (after WhiteNoise).
    "core.middleware.PrivateCacheMiddleware",
    # django-axes must come last (its docs).
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "core.context_processors.navigation",
                "workflows.context_processors.engine_banner",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------------
DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'db.sqlite3'}"


def database_from_url(url: str) -> dict:
    config = dj_database_url.parse(url, conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Embedded default (pitfalls.md): take the write lock at BEGIN so concurrent writers wait
        # instead of failing half-way with "database is locked"; WAL lets readers run beside them.
        config["CONN_MAX_AGE"] = 0
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    else:
        config["CONN_HEALTH_CHECKS"] = True
    return config


DATABASES = {"default": database_from_url(DATABASE_URL)}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and queue ----------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "djq",
        }
    }
else:
    # A database cache is shared by the web server and the qcluster, so `qinfo` works across
    # processes without Redis.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "django_cache",
        }
    }

# django-q2 (pitfalls.md): retry must exceed timeout plus the worst queue wait, or a task runs
# twice; a small queue_limit keeps that wait short. A task whose worker is killed comes back after
# `retry` (max_attempts counts only attempts that reported a result); a task that raises is
# acknowledged (ack_failures) and not retried: the periodic jobs (sweep, redelivery) pick up
# whatever it left, so nothing depends on the retry.
Q_CLUSTER = {
    "name": "dangjian",
    "workers": int(os.environ.get("Q_WORKERS", "2")),
    "timeout": 300,
    "retry": 900,
    "max_attempts": 3,
    "queue_limit": 4,
    "bulk": 1,
    "catch_up": False,
    "save_limit": 1000,
    "ack_failures": True,
    "label": _("Task queue"),
    "cache": "default",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- Auth, sessions, security -------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first, so a locked-out user is refused before checking
    "django.contrib.auth.backends.ModelBackend",
]
# ASVS L2 (V2.1): at least 12 characters, not a common password, not like the account's own
# name or e-mail; no composition rules (V2.1.9), so no NumericPasswordValidator: a long
# all-digit password is allowed (common ones are caught by the common-password list).
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# 8-hour idle expiry: every request renews the session, so it lapses after 8 idle hours.
SESSION_COOKIE_AGE = 8 * 60 * 60
SESSION_SAVE_EVERY_REQUEST = True
# Absolute lifetime (ASVS V3.3.2): 12 hours after log-in, however active (core.session_lifetime).
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_SECONDS", str(12 * 60 * 60)))
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# django-axes: five failures lock the account for 15 minutes.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
# Either five failures on one account or five from one address lock out for 15 minutes.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
AXES_CLIENT_IP_CALLABLE = "core.middleware.client_ip"

# django-csp 4: no inline scripts or styles; every asset from this host.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# --- Internationalisation -----------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# One date format in every language (config/formats): ISO dates and 24-hour times.
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

# --- Static files -------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# Evidence and other uploads live outside any URL; they are served only through views that check
# access (core.evidence).
PRIVATE_STORAGE_ROOT = Path(os.environ.get("PRIVATE_STORAGE_ROOT", VAR_DIR / "private"))
# The reduced fonts the PDFs embed (core.documents.fontcache): built on first use, safe to delete.
FONT_CACHE_DIR = Path(os.environ.get("FONT_CACHE_DIR", VAR_DIR / "fonts"))

# --- Email --------------------------------------------------------------------------------------
EMAIL_URL = os.environ.get("EMAIL_URL", "")


def email_from_url(url: str) -> dict:
    """Parse smtp://user:pass@host:port (smtp+tls:// or smtps:// for TLS/SSL), console:// or locmem://."""
    parts = urlsplit(url)
    if parts.scheme in {"console", ""}:
        return {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}
    if parts.scheme == "locmem":
        return {"EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend"}
    if parts.scheme not in {"smtp", "smtp+tls", "smtps"}:
        raise ValueError(f"EMAIL_URL: unsupported scheme {parts.scheme!r}")
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": parts.hostname or "localhost",
        "EMAIL_PORT": parts.port or (465 if parts.scheme == "smtps" else 25),
        "EMAIL_HOST_USER": unquote(parts.username or ""),
        "EMAIL_HOST_PASSWORD": unquote(parts.password or ""),
        "EMAIL_USE_TLS": parts.scheme == "smtp+tls",
        "EMAIL_USE_SSL": parts.scheme == "smtps",
    }


if EMAIL_URL:
    globals().update(email_from_url(EMAIL_URL))
else:
    EMAIL_BACKEND = os.environ.get(
        "EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
    )
    EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
    EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
    EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "dangjian@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Project settings ---------------------------------------------------------------------------
# The test settings set this so the test runner's flush may empty the append-only audit table.
AUDIT_ALLOW_FLUSH = False
# Signed checkpoints of the audit chain (core.audit_anchor): the key signing them is never in the
# database (AUDIT_KEY, else derived from SECRET_KEY), and the file lives outside it too.
AUDIT_KEY = os.environ.get("AUDIT_KEY", "")
AUDIT_CHECKPOINT_FILE = os.environ.get(
    "AUDIT_CHECKPOINT_FILE", str(VAR_DIR / "audit-checkpoints.jsonl")
)
# Who receives the checkpoints and the audit alarms (mail_admins): "a@example.org,b@example.org".
ADMINS = [(address, address) for address in env_list("ADMINS", [])]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}, "axes": {"level": "WARNING"}},
}
# Trust X-Real-IP for the audit trail's request IP only behind our own reverse proxy.
USE_X_REAL_IP = env_bool("USE_X_REAL_IP", False)
SITE_NAME = os.environ.get("SITE_NAME") or _("Party-building assessment")

# Evidence files (Art. 11, 12): a size limit per file and the types beyond PDF, DOCX, XLSX, JPG, PNG
# that this office accepts (core.evidence.EXTRA_TYPES: doc, xls, pptx, odt, ods, gif, webp, zip).
EVIDENCE_MAX_BYTES = int(os.environ.get("EVIDENCE_MAX_BYTES", str(20 * 1024 * 1024)))
EVIDENCE_EXTRA_TYPES = env_list("EVIDENCE_EXTRA_TYPES", [])
# Django keeps uploads above this size in a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# Spreadsheet imports (core.spreadsheets): files beyond these limits are refused with 413 before
# they are parsed (a few hundred KB of xlsx can inflate to gigabytes of cells).
SPREADSHEET_MAX_FILE_BYTES = int(os.environ.get("SPREADSHEET_MAX_FILE_BYTES", str(5 * 1024 * 1024)))
SPREADSHEET_MAX_UNCOMPRESSED_BYTES = int(
    os.environ.get("SPREADSHEET_MAX_UNCOMPRESSED_BYTES", str(20 * 1024 * 1024))
)

# Deadline engine (Art. 11): the sweep's interval and batch size, and the reminder steps in
# working days before the due time (0 = on the due day).
DEADLINE_SWEEP_MINUTES = int(os.environ.get("DEADLINE_SWEEP_MINUTES", "5"))
DEADLINE_SWEEP_BATCH = int(os.environ.get("DEADLINE_SWEEP_BATCH", "500"))
DEADLINE_REMINDER_DAYS = [3, 1, 0]
# The daily e-mail digest goes out at this local time.
NOTIFICATION_DIGEST_AT = os.environ.get("NOTIFICATION_DIGEST_AT", "08:30")
SITE_URL = os.environ.get("SITE_URL", "")
