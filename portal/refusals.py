"""The one shape of a refusal that a person must read.

Services raise a `Refusal` (or an area's subclass) when the rules say no: the
view catches it, puts `message` on `field` (or on the page when there is no
field) and answers with `status`. The message is already translated, in the
language of the person who asked.
"""

from __future__ import annotations


class Refusal(Exception):
    """The rules refuse an action, for a reason the person can understand."""

    def __init__(self, message: str, status: int = 422, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field  # the form field the message belongs to, if any

    def __str__(self) -> str:
        return str(self.message)
