"""An absolute session lifetime on top of the idle expiry (ASVS V3.3): a session ends
settings.SESSION_ABSOLUTE_SECONDS (default 12 hours) after its log-in however active it is.

The log-in time is stored in the session when the user logs in; the middleware logs the user out
and sends them to the log-in page once the lifetime is over. A session from before this existed
(no log-in time) starts its count at its first request.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.signals import user_logged_in
from django.contrib.auth.views import redirect_to_login
from django.dispatch import receiver
from django.utils import timezone

LOGIN_AT_KEY = "core_login_at"
DEFAULT_ABSOLUTE_SECONDS = 12 * 60 * 60


def absolute_seconds() -> int:
    return int(getattr(settings, "SESSION_ABSOLUTE_SECONDS", DEFAULT_ABSOLUTE_SECONDS))


def _now() -> int:
    return int(timezone.now().timestamp())


@receiver(user_logged_in, dispatch_uid="core_session_login_at")
def remember_login_time(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        request.session[LOGIN_AT_KEY] = _now()


class AbsoluteSessionLifetimeMiddleware:
    """After AuthenticationMiddleware: log out a session older than its absolute lifetime."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            login_at = request.session.get(LOGIN_AT_KEY)
            if not isinstance(login_at, int):
                request.session[LOGIN_AT_KEY] = _now()
            elif _now() - login_at > absolute_seconds():
                logout(request)
                return redirect_to_login(request.get_full_path())
        return self.get_response(request)
