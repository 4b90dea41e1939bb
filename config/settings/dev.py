"""Development: `make run`. DEBUG on, a secret key generated once into var/."""

import os
import secrets

from .base import *  # noqa: F403
from .base import VAR_DIR, env_bool

DEBUG = env_bool("DEBUG", True)

if not SECRET_KEY:  # noqa: F405
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    _key_file = VAR_DIR / "secret_key"
    if not _key_file.exists():
        _key_file.write_text(secrets.token_urlsafe(50))
        os.chmod(_key_file, 0o600)
    SECRET_KEY = _key_file.read_text().strip()

WHITENOISE_USE_FINDERS = True
