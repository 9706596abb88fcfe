"""A reader's data at the library: the export, and the erasure when the account is deleted.

The library keeps loans (open ones, and past ones only for readers who opted in to
a history), holds, the first-loan date per library (a number in the figures) and
the reader's settings. Nothing is kept by e-mail or phone: every row points at the
account, so matching by user id finds everything.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from portal.areas import DataSection
from portal.models import User
from portal.refusals import Refusal

from .models import ACTIVE_HOLD, Copy, Hold, Library, LibraryMember, Loan, ReaderSettings, Title
from .services import cancel_hold

LOAN_LABELS = {
    "title": _l("Titolo"),
    "barcode": _l("Codice della copia"),
    "library": _l("Biblioteca"),
    "issued_at": _l("Prestato il"),
    "due_date": _l("Da restituire entro"),
    "returned_at": _l("Restituito il"),
    "renewals": _l("Rinnovi"),
}
HOLD_STATUSES = {
    "waiting": _l("In lista"),
    "ready": _l("Pronto da ritirare"),
    "collected": _l("Ritirato"),
    "expired": _l("Scaduto"),
    "cancelled": _l("Annullata"),
}
HOLD_LABELS = {
    "title": _l("Titolo"),
    "library": _l("Biblioteca"),
    "status": _l("Stato"),
    "created_at": _l("Prenotato il"),
    "ready_at": _l("Pronto dal"),
    "expires_at": _l("Da ritirare entro"),
    "closed_at": _l("Chiuso il"),
    "notify_by": _l("Avviso per"),
}
MEMBER_LABELS = {"library": _l("Biblioteca"), "joined_at": _l("Primo prestito il")}
SETTINGS_LABELS = {"keep_history": _l("Conserva lo storico dei prestiti"), "updated_at": _l("Scelta del")}


def export(user: User) -> list[DataSection]:
    """Loans, holds, the libraries where the person borrowed, their settings."""
    loans: list[dict[str, Any]] = [
        {
            "title": loan.copy.title.title,
            "barcode": loan.copy.barcode,
            "library": loan.library.name,
            "issued_at": loan.issued_at,
            "due_date": loan.due_date,
            "returned_at": loan.returned_at,
            "renewals": loan.renewals,
        }
        for loan in Loan.select(Loan, Copy, Title, Library)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(Library)
        .where(Loan.member == user.id)
        .order_by(Loan.issued_at)
    ]
    holds: list[dict[str, Any]] = [
        {
            "title": hold.title.title,
            "library": hold.title.library.name,
            "status": hold.status,
            "created_at": hold.created_at,
            "ready_at": hold.ready_at,
            "expires_at": hold.expires_at,
            "closed_at": hold.closed_at,
            "notify_by": hold.notify_by,
        }
        for hold in Hold.select(Hold, Title, Library)
        .join(Title)
        .join(Library)
        .where(Hold.member == user.id)
        .order_by(Hold.created_at)
    ]
    members: list[dict[str, Any]] = [
        {"library": m.library.name, "joined_at": m.joined_at}
        for m in LibraryMember.select(LibraryMember, Library).join(Library).where(LibraryMember.user == user.id)
    ]
    settings: list[dict[str, Any]] = [
        {"keep_history": s.keep_history, "updated_at": s.updated_at}
        for s in ReaderSettings.select().where(ReaderSettings.user == user.id)
    ]
    return [
        DataSection("loans", _l("Prestiti"), loans, LOAN_LABELS),
        DataSection("holds", _l("Prenotazioni"), holds, HOLD_LABELS, {"status": HOLD_STATUSES}),
        DataSection("memberships", _l("Biblioteche dove hai preso libri"), members, MEMBER_LABELS),
        DataSection("settings", _l("Le tue scelte"), settings, SETTINGS_LABELS),
    ]


def erase(user: User) -> None:
    """Free the person's holds (the copy goes to the next in line) and keep the rest only as numbers.

    Refused while the person still has books on loan: they must bring them back
    first (then nothing is erased, the account deletion stops with the message).
    """
    on_loan = Loan.select().where((Loan.member == user.id) & Loan.returned_at.is_null()).count()
    if on_loan:
        raise Refusal(
            ngettext(
                "Hai ancora %(num)d libro in prestito: riportalo in biblioteca, poi potrai cancellare l'account.",
                "Hai ancora %(num)d libri in prestito: riportali in biblioteca, poi potrai cancellare l'account.",
                on_loan,
            ),
            status=409,
        )
    for hold in Hold.select().where((Hold.member == user.id) & Hold.status.in_(ACTIVE_HOLD)):
        cancel_hold(hold)  # a ready copy is trapped for the next person, who is told
    # Closed holds stay for the figures (holds placed, collected), pointing at nobody.
    Hold.update(member=None).where(Hold.member == user.id).execute()
    # Past loans stay for the monthly figures, pointing at nobody; a desk's override
    # reason may name the person.
    Loan.update(member=None, override_reason="").where(Loan.member == user.id).execute()
    Loan.update(issued_by=None).where(Loan.issued_by == user.id).execute()
    LibraryMember.update(user=None).where(LibraryMember.user == user.id).execute()
    ReaderSettings.delete().where(ReaderSettings.user == user.id).execute()


def members_at(site_ids: Sequence[int]) -> Any:
    """Accounts that are readers, borrowers or hold a reservation at these centres' libraries."""
    libraries = Library.select(Library.id).where(Library.site.in_(list(site_ids)))
    members = LibraryMember.select(LibraryMember.user).where(
        LibraryMember.library.in_(libraries) & LibraryMember.user.is_null(False)
    )
    borrowers = Loan.select(Loan.member).where(Loan.library.in_(libraries) & Loan.member.is_null(False))
    holders = Hold.select(Hold.member).join(Title).where(Title.library.in_(libraries))
    return members | borrowers | holders
