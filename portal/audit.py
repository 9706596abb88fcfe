"""The audit log of staff actions on personal data: who did what, to whom, and when.

Areas and the core call `record()` in the same transaction as the action; admins read the log
at /staff/audit. The log never copies the data itself (no note text, no password).
"""

from flask_login import current_user

from .models import AuditEntry


def record(action, *, subject_user=None, site=None, area="", record="", detail="", actor=None):
    """Write one audit entry; `actor` defaults to the logged-in user."""
    if actor is None and current_user and getattr(current_user, "is_authenticated", False):
        actor = current_user._get_current_object()
    return AuditEntry.create(
        actor=actor,
        action=action[:60],
        subject_user=subject_user,
        site=site,
        area=area[:40],
        record=str(record)[:120],
        detail=detail[:300],
    )
