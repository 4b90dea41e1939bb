"""Domain errors every app raises, mapped to HTTP answers by core.middleware.ErrorMiddleware."""

from django.utils.translation import gettext_lazy as _


class Conflict(Exception):
    """The action does not fit the object's current state (HTTP 409)."""

    default_message = _("This action is not possible in the current state.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class UploadRejected(Exception):
    """An uploaded file was refused (HTTP 413 for size, 415 for type)."""

    def __init__(self, message, status: int):
        self.message = message
        self.status = status
        super().__init__(str(message))
