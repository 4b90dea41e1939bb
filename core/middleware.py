"""Keeps the current request's client IP where the audit helpers can read it."""

from contextvars import ContextVar

from django.conf import settings

_client_ip: ContextVar[str | None] = ContextVar("client_ip", default=None)


def client_ip(request) -> str | None:
    # Behind the reverse proxy REMOTE_ADDR is the proxy; the proxy must set X-Real-IP (README).
    if settings.USE_X_REAL_IP and request.META.get("HTTP_X_REAL_IP"):
        return request.META["HTTP_X_REAL_IP"]
    return request.META.get("REMOTE_ADDR") or None


def current_ip() -> str | None:
    return _client_ip.get()


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = _client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            _client_ip.reset(token)


class ErrorMiddleware:
    """Turn domain errors into clear pages: 400 for a malformed request, 409 for a conflict,
    413/415 for a refused upload.

    Never a 500 for a user's mistake or for losing a race (django-fsm-2's TransitionNotAllowed
    and ConcurrentTransition are converted to Conflict by the services).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from .errors import BadInput, Conflict, UploadRejected

        if isinstance(exception, Conflict):
            context = {
                "message": exception.message,
                "back_url": exception.url,
            }
            return render(request, "409.html", context, status=409)
        if isinstance(exception, BadInput):
            return render(request, "400.html", {"message": exception.message}, status=400)
        if isinstance(exception, UploadRejected):
            return render(
                request, "413.html", {"message": exception.message}, status=exception.status
            )
        return None


PRIVATE = "private, no-store"


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every response to a logged-in user and on every
    download (exports, evidence), so that no shared proxy and no browser cache keeps a page or a
    file of the assessment. Static files never get here: WhiteNoise answers them first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        download = str(response.get("Content-Disposition", "")).startswith("attachment")
        if download or (user is not None and user.is_authenticated):
            directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
            if not {"private", "no-store"} <= directives:
                response["Cache-Control"] = PRIVATE
        return response
