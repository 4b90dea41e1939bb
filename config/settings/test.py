"""Tests: `make test`. SQLite unless DATABASE_URL is set; tasks run inline."""

from .base import *  # noqa: F403
from .base import Q_CLUSTER, VAR_DIR

SECRET_KEY = "test-only-secret-key-not-for-production-use-0123456789abcdef"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
AUDIT_ALLOW_FLUSH = True
# No checkpoint file unless a test names one (a flushed test database is not the chain it signed).
AUDIT_CHECKPOINT_FILE = ""
WHITENOISE_AUTOREFRESH = True
WHITENOISE_USE_FINDERS = True
ALLOWED_HOSTS = ["*"]
PRIVATE_STORAGE_ROOT = VAR_DIR / "test-private"
