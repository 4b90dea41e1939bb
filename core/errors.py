"""Domain errors every app raises, mapped to HTTP answers by core.middleware.ErrorMiddleware."""

from django.utils.translation import gettext_lazy as _


class Conflict(Exception):
    """The action does not fit the object's current state (HTTP 409).

    `url` links the 409 page back to the object (a form submitted from a page left open). The page
    speaks the user's language only.
    """

    default_message = _("This action is not possible in the current state.")

    def __init__(self, message=None, *, url: str | None = None):
        self.message = message or self.default_message
        self.url = url
        super().__init__(str(self.message))


class BadInput(Exception):
    """The request itself is malformed, e.g. a field its form always sends is missing (HTTP 400).

    A missing field is never read as blank: the request changes nothing and the user is told.
    """

    def __init__(self, message):
        self.message = message
        super().__init__(str(message))


class UploadRejected(Exception):
    """An uploaded file was refused (HTTP 413 for size, 415 for type)."""

    def __init__(self, message, status: int):
        self.message = message
        self.status = status
        super().__init__(str(message))
