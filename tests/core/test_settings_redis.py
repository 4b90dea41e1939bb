"""With REDIS_URL set, the cache and the django-q2 broker use Redis (run by .ci/run)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import django
django.setup()
from django.core.cache import cache
from django_q.brokers import get_broker
cache.set("ci-probe", "ok", 30)
from django.core.cache import caches
print(cache.get("ci-probe"), type(get_broker()).__name__, type(caches["default"]).__name__)
"""


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="REDIS_URL not set (.ci/run sets it)")
def test_redis_url_switches_cache_and_broker():
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.dev"}
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["ok", "Redis", "RedisCache"]


def test_without_redis_the_orm_broker_and_database_cache_are_used():
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DATABASE_URL": f"sqlite:///{ROOT / 'var' / 'settings-probe.sqlite3'}",
    }
    probe = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.Q_CLUSTER.get('orm'), settings.CACHES['default']['BACKEND'], "
        "settings.DATABASES['default']['OPTIONS']['transaction_mode'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "default",
        "django.core.cache.backends.db.DatabaseCache",
        "IMMEDIATE",
    ]
