"""Library pages: search and title pages for everyone, "My library" for residents,
the circulation desk, holds shelf, overdue lists, cataloguing, import, labels
and figures for the staff of the centre that has the library."""

import secrets
from datetime import datetime, timedelta
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required
from peewee import JOIN, IntegrityError, fn
from playhouse.flask_utils import get_object_or_404

from portal.auth import staff_required
from portal.db import database
from portal.models import Site, User, utcnow
from portal.pdf import pdf_response, qr_data_uri, render_pdf
from portal.rendering import render

from . import circulation as circ
from .forms import (
    AGE_LABELS,
    LANGUAGE_LABELS,
    BarcodeForm,
    CheckoutForm,
    CopyForm,
    HistoryForm,
    ImportForm,
    PolicyForm,
    TitleForm,
)
from .importer import ImportError_, import_rows, parse
from .models import ACTIVE_HOLD, Copy, Hold, Library, LibraryMember, Loan, ReaderSettings, Title, today_local
from .search import PER_PAGE, search_titles

bp = Blueprint("library", __name__)


@bp.app_context_processor
def library_names():
    return {
        "language_label": lambda code: LANGUAGE_LABELS.get(code, code),
        "age_label": lambda code: AGE_LABELS.get(code, code),
        "LANGUAGE_LABELS": LANGUAGE_LABELS,
        "AGE_LABELS": AGE_LABELS,
    }


# --- residents ---------------------------------------------------------------------


def _page_arg():
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


@bp.route("/library")
def search():
    """Search the catalogue by title, author, subject or ISBN, with filters."""
    q = (request.args.get("q") or "").strip()[:200]
    language = request.args.get("lang") if request.args.get("lang") in LANGUAGE_LABELS else ""
    age = request.args.get("age") if request.args.get("age") in AGE_LABELS else ""
    available = request.args.get("available") == "1"
    page = _page_arg()
    circ.expire_holds()  # lazily: a copy whose pickup window passed is free again
    searched = bool(q or language or age or available)
    titles, total = search_titles(q, language, age, available, page) if searched else ([], 0)
    recent = [] if searched else list(Title.select().order_by(Title.created_at.desc(), Title.id.desc()).limit(8))
    counts = circ.availability([t.id for t in titles + recent])
    return render(
        "library/search.html",
        block="results",
        q=q,
        language=language,
        age=age,
        available=available,
        titles=titles,
        total=total,
        page=page,
        per_page=PER_PAGE,
        counts=counts,
        searched=searched,
        recent=recent,
        libraries=list(Library.select(Library, Site).join(Site)),
    )


def _title_or_404(title_id):
    title = Title.select(Title, Library, Site).join(Library).join(Site).where(Title.id == title_id).first()
    if title is None:
        abort(404)
    return title


@bp.route("/library/titles/<int:title_id>")
def title(title_id):
    """A title: details, its copies and where each one is, and the hold button."""
    title = _title_or_404(title_id)
    circ.expire_holds(title.library)
    return _title_page(title)


def _title_page(title, error=None, status=200):
    copies = list(title.copies.where(Copy.withdrawn == False).order_by(Copy.barcode))  # noqa: E712
    states = circ.copy_states(copies)
    waiting = Hold.select().where((Hold.title == title.id) & (Hold.status == "waiting")).count()
    mine = None
    if current_user.is_authenticated:
        mine = (
            Hold.select()
            .where((Hold.title == title.id) & (Hold.member == current_user.id) & Hold.status.in_(ACTIVE_HOLD))
            .first()
        )
    places = circ.queue_places([mine]) if mine else {}
    return render(
        "library/title.html",
        status=status,
        title=title,
        copies=copies,
        states=states,
        waiting=waiting,
        mine=mine,
        place=places.get(mine.id) if mine else None,
        error=error,
    )


@bp.route("/library/titles/<int:title_id>/hold", methods=["POST"])
@login_required
def place_hold(title_id):
    """Join the queue for a title; the desk calls or mails when the book is ready."""
    title = _title_or_404(title_id)
    try:
        circ.place_hold(title, current_user._get_current_object())
    except circ.CirculationError as exc:
        return _title_page(title, error=exc.message, status=exc.status)
    flash(_("Prenotazione fatta. Ti avvisiamo quando il libro è pronto da ritirare."), "success")
    return redirect(url_for(".title", title_id=title.id))


@bp.route("/account/loans")
@login_required
def my_loans():
    """My library: current loans, holds with their place in the queue, history if kept."""
    circ.expire_holds()
    return _my_loans_page()


def _my_loans_page(error=None, status=200):
    user = current_user._get_current_object()
    loans = list(
        Loan.select(Loan, Copy, Title)
        .join(Copy)
        .join(Title)
        .where((Loan.member == user.id) & Loan.returned_at.is_null())
        .order_by(Loan.due_date)
    )
    holds = list(
        Hold.select(Hold, Title)
        .join(Title)
        .where((Hold.member == user.id) & Hold.status.in_(ACTIVE_HOLD))
        .order_by(Hold.created_at)
    )
    places = circ.queue_places(holds)
    keep = ReaderSettings.keeps_history(user.id)
    history = []
    if keep:
        history = list(
            Loan.select(Loan, Copy, Title)
            .join(Copy)
            .join(Title)
            .where((Loan.member == user.id) & Loan.returned_at.is_null(False))
            .order_by(Loan.returned_at.desc())
            .limit(100)
        )
    waiting_titles = set()
    if loans:
        waiting_titles = {
            t
            for (t,) in Hold.select(Hold.title)
            .where(Hold.title.in_([ln.copy.title_id for ln in loans]) & (Hold.status == "waiting"))
            .tuples()
        }
    libraries = {lib.id: lib for lib in Library.select()}
    return render(
        "library/my_loans.html",
        status=status,
        loans=loans,
        holds=holds,
        places=places,
        keep=keep,
        history=history,
        history_form=HistoryForm(formdata=None, keep_history=keep),
        error=error,
        waiting_titles=waiting_titles,
        libraries=libraries,
        today=today_local(),
    )


@bp.route("/account/loans/<int:loan_id>/renew", methods=["POST"])
@login_required
def renew_mine(loan_id):
    """Renew one of my loans online, when the rules allow it."""
    loan = Loan.get_or_none((Loan.id == loan_id) & (Loan.member == current_user.id))
    if loan is None:
        abort(404)
    try:
        circ.renew(loan)
    except circ.CirculationError as exc:
        return _my_loans_page(error=exc.message, status=exc.status)
    flash(_("Rinnovato: ora scade il %(date)s.", date=loan.due_date.strftime("%d/%m/%Y")), "success")
    return redirect(url_for(".my_loans"))


@bp.route("/account/holds/<int:hold_id>/cancel", methods=["POST"])
@login_required
def cancel_mine(hold_id):
    """Cancel one of my holds (the copy, if ready, passes to the next person)."""
    hold = Hold.get_or_none((Hold.id == hold_id) & (Hold.member == current_user.id))
    if hold is None:
        abort(404)
    circ.cancel_hold(hold)
    flash(_("Prenotazione annullata."), "success")
    return redirect(url_for(".my_loans"))


@bp.route("/account/loans/history", methods=["POST"])
@login_required
def history_choice():
    """Opt in or out of keeping my loan history (off by default)."""
    form = HistoryForm()
    if not form.validate():
        abort(400)
    circ.set_keep_history(current_user._get_current_object(), bool(form.keep_history.data))
    flash(
        _("Scelta salvata: lo storico dei prestiti viene conservato.")
        if form.keep_history.data
        else _("Scelta salvata: lo storico dei prestiti non viene conservato (quello passato è stato cancellato)."),
        "success",
    )
    return redirect(url_for(".my_loans"))


# --- staff: which library ---------------------------------------------------------


def _staff_library():
    """The library the staff member works on: ?site=<slug>, else the first they manage.

    403 for a centre they do not manage; 404 when the centre has no library; a
    page that says so when none of their centres has one."""
    slug = request.args.get("site")
    if slug:
        site = Site.get_or_none(Site.slug == slug)
        if site is None:
            abort(404)
        if not current_user.can_manage(site):
            abort(403)
        library = Library.get_or_none(Library.site == site)
        if library is None:
            if not _has_library_service(site):
                abort(404)
            library = Library.for_site(site)
        return library
    for site in current_user.managed_sites():
        library = Library.get_or_none(Library.site == site)
        if library is None and _has_library_service(site):
            library = Library.for_site(site)
        if library is not None:
            return library
    # Staff of a centre without a library follow the link from the dashboard: explain.
    abort(render("library/no_library.html", libraries=list(Library.select(Library, Site).join(Site))))


def _has_library_service(site):
    from portal.models import Service

    return Service.select().where((Service.site == site) & (Service.area == "library")).exists()


def _go(endpoint, library, **kwargs):
    return redirect(url_for(endpoint, site=library.site.slug, **kwargs))


POLICY_FIELDS = ("loan_days", "max_renewals", "max_loans", "max_holds", "pickup_days", "due_soon_days")


@bp.route("/library/staff", methods=["GET", "POST"])
@staff_required
def staff_index():
    """The library at a glance, and its lending rules."""
    library = _staff_library()
    form = PolicyForm(obj=library) if request.method == "GET" else PolicyForm()
    if request.method == "POST":
        if form.validate():
            for name in POLICY_FIELDS:
                setattr(library, name, getattr(form, name).data or 0)
            library.save(only=[getattr(Library, name) for name in POLICY_FIELDS])
            flash(_("Regole salvate: valgono per i nuovi prestiti e rinnovi."), "success")
            return _go(".staff_index", library)
        return _staff_index_page(library, form, 422)
    return _staff_index_page(library, form)


def _staff_index_page(library, form, status=200):
    today = today_local()
    open_loans = Loan.select().where((Loan.library == library) & Loan.returned_at.is_null())
    figures = {
        "on_loan": open_loans.count(),
        "overdue": open_loans.where(Loan.due_date < today).count(),
        "ready": Hold.select().join(Title).where((Title.library == library) & (Hold.status == "ready")).count(),
        "to_phone": Hold.select()
        .join(Title)
        .where(
            (Title.library == library)
            & (Hold.status == "ready")
            & (Hold.notify_by == "phone")
            & Hold.phoned_at.is_null()
        )
        .count(),
    }
    return render("library/staff_index.html", status=status, library=library, figures=figures, form=form)


@bp.route("/library/staff/desk", methods=["GET", "POST"])
@staff_required
def desk():
    """Circulation desk: check out with the copy's barcode and the member's card code."""
    library = _staff_library()
    form = CheckoutForm(formdata=request.form if request.method == "POST" else None)
    ctx = {
        "library": library,
        "form": form,
        "checkin_form": BarcodeForm(formdata=None, prefix="in"),
        "renew_form": BarcodeForm(formdata=None, prefix="rn"),
    }
    if request.method == "POST":
        if not form.validate():
            return render("library/desk.html", status=422, **ctx)
        try:
            loan = circ.checkout(
                library, form.barcode.data, form.member_code.data, current_user, form.override_reason.data
            )
        except circ.Blocked as exc:
            return render("library/desk.html", status=409, blocked=exc.reasons, **ctx)
        except circ.CirculationError as exc:
            getattr(form, exc.field).errors.append(exc.message)
            return render("library/desk.html", status=exc.status, **ctx)
        ctx["form"] = CheckoutForm(formdata=None)
        # What else the person has: the volunteer can remind them of due dates and of
        # a book waiting for them on the hold shelf.
        member_loans = list(
            Loan.select(Loan, Copy, Title)
            .join(Copy)
            .join(Title)
            .where((Loan.member == loan.member.id) & Loan.returned_at.is_null() & (Loan.library == library))
            .order_by(Loan.due_date)
        )
        member_ready = list(
            Hold.select(Hold, Title)
            .join(Title)
            .where((Hold.member == loan.member.id) & (Hold.status == "ready") & (Title.library == library))
        )
        return render(
            "library/desk.html",
            done_loan=loan,
            member_loans=member_loans,
            member_ready=member_ready,
            today=today_local(),
            **ctx,
        )
    return render("library/desk.html", **ctx)


@bp.route("/library/staff/reader")
@staff_required
def reader():
    """A reader's card at the desk, by member code: loans, holds, what blocks a loan."""
    library = _staff_library()
    code = (request.args.get("code") or "").strip()[:20]
    member = error = None
    loans, holds, blocks, places = [], [], [], {}
    if code:
        try:
            member = circ.find_member(code)
        except circ.CirculationError as exc:
            error = exc.message
    if member is not None:
        circ.expire_holds(library)
        loans = list(
            Loan.select(Loan, Copy, Title)
            .join(Copy)
            .join(Title)
            .where((Loan.member == member.id) & Loan.returned_at.is_null() & (Loan.library == library))
            .order_by(Loan.due_date)
        )
        holds = list(
            Hold.select(Hold, Title)
            .join(Title)
            .where((Hold.member == member.id) & Hold.status.in_(ACTIVE_HOLD) & (Title.library == library))
            .order_by(Hold.created_at)
        )
        places = circ.queue_places(holds)
        blocks = circ.member_blocks(library, member)
    return render(
        "library/reader.html",
        status=404 if error else 200,
        library=library,
        code=code,
        member=member,
        error=error,
        loans=loans,
        holds=holds,
        places=places,
        blocks=blocks,
        today=today_local(),
    )


@bp.route("/library/staff/checkin", methods=["POST"])
@staff_required
def checkin():
    """Check a copy in; the desk is told when it goes to the hold shelf."""
    library = _staff_library()
    form = BarcodeForm(prefix="in")
    ctx = {
        "library": library,
        "form": CheckoutForm(formdata=None),
        "checkin_form": form,
        "renew_form": BarcodeForm(formdata=None, prefix="rn"),
    }
    if not form.validate():
        return render("library/desk.html", status=422, **ctx)
    try:
        loan, hold, copy = circ.checkin(library, form.barcode.data)
    except circ.CirculationError as exc:
        form.barcode.errors.append(exc.message)
        return render("library/desk.html", status=exc.status, **ctx)
    ctx["checkin_form"] = BarcodeForm(formdata=None, prefix="in")
    return render("library/desk.html", checked_in=copy, returned_loan=loan, trapped=hold, **ctx)


@bp.route("/library/staff/renew", methods=["POST"])
@staff_required
def renew_desk():
    """Renew a loan at the desk by the copy's barcode."""
    library = _staff_library()
    form = BarcodeForm(prefix="rn")
    ctx = {
        "library": library,
        "form": CheckoutForm(formdata=None),
        "renew_form": form,
        "checkin_form": BarcodeForm(formdata=None, prefix="in"),
    }
    if not form.validate():
        return render("library/desk.html", status=422, **ctx)
    try:
        copy = circ.find_copy(library, form.barcode.data)
        loan = Loan.select().where((Loan.copy == copy.id) & Loan.returned_at.is_null()).first()
        if loan is None:
            raise circ.CirculationError(_("La copia %(code)s non è in prestito.", code=copy.barcode))
        circ.renew(loan, by_staff=True)
    except circ.CirculationError as exc:
        form.barcode.errors.append(exc.message)
        return render("library/desk.html", status=exc.status, **ctx)
    ctx["renew_form"] = BarcodeForm(formdata=None, prefix="rn")
    return render("library/desk.html", renewed=loan, **ctx)


@bp.route("/library/staff/holds")
@staff_required
def holds_shelf():
    """Hold shelf: books waiting for pickup, copies to pull from the shelf, people to phone."""
    library = _staff_library()
    circ.expire_holds(library)
    ready = list(
        Hold.select(Hold, Title, Copy, User)
        .join(Title)
        .switch(Hold)
        .join(Copy)
        .switch(Hold)
        .join(User)
        .where((Title.library == library) & (Hold.status == "ready"))
        .order_by(Hold.expires_at)
    )
    # Waiting holds whose title has a copy on the shelf: pull it and check it in to trap it.
    free_copy = Copy.select(Copy.id).where((Copy.title == Title.id) & circ.free_copy_condition())
    to_pull = list(
        Hold.select(Hold, Title)
        .join(Title)
        .where((Title.library == library) & (Hold.status == "waiting") & fn.EXISTS(free_copy))
        .order_by(Hold.position)
        .limit(100)
    )
    first_per_title = {}
    for hold in to_pull:
        first_per_title.setdefault(hold.title_id, hold)
    to_pull = list(first_per_title.values())
    pull_copies = {}
    if to_pull:
        for c in Copy.select().where(Copy.title.in_([h.title_id for h in to_pull]) & circ.free_copy_condition()):
            pull_copies.setdefault(c.title_id, []).append(c)
    since = utcnow() - timedelta(days=7)
    expired = list(
        Hold.select(Hold, Title, Copy)
        .join(Title)
        .switch(Hold)
        .join(Copy)
        .where(
            (Title.library == library)
            & (Hold.status == "expired")
            & (Hold.closed_at >= since)
            & circ.free_copy_condition()
        )
        .order_by(Hold.closed_at.desc())
        .limit(100)
    )
    return render(
        "library/holds.html", library=library, ready=ready, to_pull=to_pull, pull_copies=pull_copies, expired=expired
    )


@bp.route("/library/staff/phone")
@staff_required
def to_phone():
    """People without e-mail whose book is ready: the desk phones them."""
    library = _staff_library()
    circ.expire_holds(library)
    holds = list(
        Hold.select(Hold, Title, Copy, User)
        .join(Title)
        .switch(Hold)
        .join(Copy)
        .switch(Hold)
        .join(User)
        .where((Title.library == library) & (Hold.status == "ready") & (Hold.notify_by == "phone"))
        .order_by(Hold.phoned_at.is_null(False), Hold.ready_at)
    )
    return render("library/phone.html", library=library, holds=holds)


@bp.route("/library/staff/holds/<int:hold_id>/phoned", methods=["POST"])
@staff_required
def mark_phoned(hold_id):
    """Record that the desk phoned the person."""
    library = _staff_library()
    hold = Hold.select().join(Title).where((Hold.id == hold_id) & (Title.library == library)).first()
    if hold is None:
        abort(404)
    Hold.update(phoned_at=utcnow()).where(Hold.id == hold.id).execute()
    flash(_("Segnato: telefonata fatta."), "success")
    return _go(".to_phone", library)


@bp.route("/library/staff/holds/<int:hold_id>/cancel", methods=["POST"])
@staff_required
def cancel_hold_desk(hold_id):
    """Cancel a hold for the person (they said they no longer want it); the next one is called."""
    library = _staff_library()
    hold = Hold.select().join(Title).where((Hold.id == hold_id) & (Title.library == library)).first()
    if hold is None:
        abort(404)
    circ.cancel_hold(hold)
    flash(_("Prenotazione annullata."), "success")
    return _go(".holds_shelf", library)


@bp.route("/library/staff/overdue")
@staff_required
def overdue():
    """Overdue loans and loans due in the next days."""
    library = _staff_library()
    today = today_local()
    base = (
        Loan.select(Loan, Copy, Title, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(User, JOIN.LEFT_OUTER, on=(Loan.member == User.id))
        .where((Loan.library == library) & Loan.returned_at.is_null())
    )
    late = list(base.where(Loan.due_date < today).order_by(Loan.due_date).limit(300))
    soon = list(
        base.where((Loan.due_date >= today) & (Loan.due_date <= today + timedelta(days=library.due_soon_days)))
        .order_by(Loan.due_date)
        .limit(300)
    )
    return render("library/overdue.html", library=library, late=late, soon=soon, today=today)


@bp.route("/library/staff/overdue/remind", methods=["POST"])
@staff_required
def overdue_remind():
    """E-mail a reminder to everyone with an overdue loan and an e-mail address (once a week at most)."""
    library = _staff_library()
    sent = circ.send_overdue_reminders(library)
    flash(
        ngettext("Promemoria inviato a %(num)d persona.", "Promemoria inviato a %(num)d persone.", sent)
        if sent
        else _("Nessun promemoria da inviare (chi ha l'e-mail l'ha già ricevuto questa settimana)."),
        "success" if sent else "info",
    )
    return _go(".overdue", library)


@bp.route("/library/staff/overdue/letters.pdf")
@staff_required
def overdue_letters():
    """Printable reminder letters, one page per person, each in the person's language
    (by default for those without e-mail)."""
    library = _staff_library()
    everyone = request.args.get("all") == "1"
    loans = list(
        Loan.select(Loan, Copy, Title, User)
        .join(Copy)
        .join(Title)
        .switch(Loan)
        .join(User, on=(Loan.member == User.id))
        .where((Loan.library == library) & Loan.returned_at.is_null() & (Loan.due_date < today_local()))
        .order_by(User.name, Loan.due_date)
    )
    people = {}
    for loan in loans:
        if everyone or not loan.member.email:
            people.setdefault(loan.member.id, (loan.member, []))[1].append(loan)
    if not people:
        flash(_("Nessuna lettera da stampare."), "info")
        return _go(".overdue", library)
    letters = []
    for member, member_loans in people.values():
        with force_locale(member.language or "it"):
            letters.append(
                render_template(
                    "library/_letter.html", library=library, member=member, loans=member_loans, today=today_local()
                )
            )
    data = render_pdf("library/letters_pdf.html", letters=letters)
    return pdf_response(data, f"solleciti-{today_local().isoformat()}.pdf")


# --- cataloguing --------------------------------------------------------------------


@bp.route("/library/staff/catalogue")
@staff_required
def catalogue():
    """Cataloguing: find a title to edit, or add a new one."""
    library = _staff_library()
    q = (request.args.get("q") or "").strip()[:200]
    titles, total = (
        search_titles(q, page=_page_arg(), library=library)
        if q
        else (list(Title.select().where(Title.library == library).order_by(Title.created_at.desc()).limit(20)), None)
    )
    return render(
        "library/catalogue.html",
        block="results",
        library=library,
        q=q,
        titles=titles,
        total=total,
        counts=circ.availability([t.id for t in titles]),
    )


def _save_title(form, library, title=None):
    title = title or Title(library=library)
    for name in ("title", "authors", "language", "age_group", "subjects", "publisher", "year", "description"):
        setattr(title, name, getattr(form, name).data)
    title.isbn = form.isbn.normalised
    try:
        with database().atomic():
            title.save()
    except IntegrityError:
        form.isbn.errors.append(_("Questo ISBN è già nel catalogo."))
        return None
    return title


@bp.route("/library/staff/titles/new", methods=["GET", "POST"])
@staff_required
def title_new():
    """Add a title to the catalogue (then its copies)."""
    library = _staff_library()
    form = TitleForm()
    if request.method == "POST":
        if form.validate():
            title = _save_title(form, library)
            if title is not None:
                flash(_("Titolo aggiunto. Ora aggiungi le copie."), "success")
                return _go(".title_edit", library, title_id=title.id)
        return render("library/title_form.html", status=422, library=library, form=form, title=None)
    return render("library/title_form.html", library=library, form=form, title=None)


def _staff_title(library, title_id):
    title = Title.get_or_none(Title.id == title_id)
    if title is None:
        abort(404)
    if title.library_id != library.id:
        abort(403)
    return title


@bp.route("/library/staff/titles/<int:title_id>", methods=["GET", "POST"])
@staff_required
def title_edit(title_id):
    """Edit a title and manage its copies."""
    library = _staff_library()
    title = _staff_title(library, title_id)
    form = TitleForm(obj=title) if request.method == "GET" else TitleForm()
    status = 200
    if request.method == "POST":
        if form.validate() and _save_title(form, library, title) is not None:
            flash(_("Titolo salvato."), "success")
            return _go(".title_edit", library, title_id=title.id)
        status = 422
    return _title_edit_page(library, title, form, CopyForm(formdata=None), status)


def _title_edit_page(library, title, form, copy_form, status=200, **extra):
    copies = list(title.copies.order_by(Copy.barcode))
    queue = list(
        Hold.select(Hold, User)
        .join(User)
        .where((Hold.title == title.id) & Hold.status.in_(ACTIVE_HOLD))
        .order_by(Hold.status, Hold.position)
    )  # "ready" sorts before "waiting"
    return render(
        "library/title_form.html",
        status=status,
        library=library,
        form=form,
        title=title,
        copies=copies,
        states=circ.copy_states(copies),
        copy_form=copy_form,
        queue=queue,
        **extra,
    )


@bp.route("/library/staff/titles/<int:title_id>/hold", methods=["POST"])
@staff_required
def hold_for_member(title_id):
    """Place a hold for someone at the desk (by the code on their card)."""
    library = _staff_library()
    title = _staff_title(library, title_id)
    code = request.form.get("member_code", "")
    try:
        member = circ.find_member(code)
        circ.place_hold(title, member)
    except circ.CirculationError as exc:
        return _title_edit_page(
            library,
            title,
            TitleForm(obj=title, formdata=None),
            CopyForm(formdata=None),
            exc.status,
            hold_error=exc.message,
            hold_code=code[:20],
        )
    flash(_("%(name)s è in lista per questo libro.", name=member.name), "success")
    return _go(".title_edit", library, title_id=title.id)


@bp.route("/library/staff/titles/<int:title_id>/copies", methods=["POST"])
@staff_required
def copy_new(title_id):
    """Add a copy with a unique barcode."""
    library = _staff_library()
    title = _staff_title(library, title_id)
    form = CopyForm()
    if form.validate():
        try:
            with database().atomic():
                Copy.create(
                    title=title,
                    barcode=form.barcode.data,
                    shelf_mark=form.shelf_mark.data,
                    note=form.note.data,
                    withdrawn=form.withdrawn.data,
                )
        except IntegrityError:
            form.barcode.errors.append(_("Il codice %(code)s è già usato da un'altra copia.", code=form.barcode.data))
        else:
            flash(_("Copia %(code)s aggiunta.", code=form.barcode.data), "success")
            return _go(".title_edit", library, title_id=title.id)
    return _title_edit_page(library, title, TitleForm(obj=title, formdata=None), form, 422)


@bp.route("/library/staff/copies/<int:copy_id>", methods=["GET", "POST"])
@staff_required
def copy_edit(copy_id):
    """Edit a copy: barcode, shelf mark, withdrawn."""
    library = _staff_library()
    copy = get_object_or_404(Copy, Copy.id == copy_id)
    title = _staff_title(library, copy.title_id)
    form = CopyForm(obj=copy) if request.method == "GET" else CopyForm()
    status = 200
    if request.method == "POST":
        if form.validate():
            copy.barcode, copy.shelf_mark, copy.note, copy.withdrawn = (
                form.barcode.data,
                form.shelf_mark.data,
                form.note.data,
                form.withdrawn.data,
            )
            try:
                with database().atomic():
                    copy.save()
                    if copy.withdrawn:
                        # A withdrawn copy cannot be collected: its hold goes back to the queue.
                        Hold.update(status="waiting", copy=None, ready_at=None, expires_at=None).where(
                            (Hold.copy == copy.id) & (Hold.status == "ready")
                        ).execute()
            except IntegrityError:
                form.barcode.errors.append(_("Il codice %(code)s è già usato da un'altra copia.", code=copy.barcode))
            else:
                flash(_("Copia salvata."), "success")
                return _go(".title_edit", library, title_id=title.id)
        status = 422
    return render("library/copy_form.html", status=status, library=library, title=title, copy=copy, form=form)


# --- import -----------------------------------------------------------------------


def _import_dir():
    path = Path(current_app.config["UPLOAD_DIR"]) / "library-import"
    path.mkdir(parents=True, exist_ok=True)
    # Previews nobody confirmed are dropped after a day (no cron: on the next upload).
    old = datetime.now().timestamp() - 24 * 3600
    for stale in path.glob("*.csv"):
        if stale.stat().st_mtime < old:
            stale.unlink(missing_ok=True)
    return path


@bp.route("/library/staff/import", methods=["GET", "POST"])
@staff_required
def import_csv():
    """CSV import, step 1: upload, check every row, show a preview."""
    library = _staff_library()
    form = ImportForm()
    if request.method == "GET":
        return render("library/import.html", library=library, form=form)
    upload = request.files.get("file")
    data = upload.read(2 * 1024 * 1024 + 1) if upload else b""
    try:
        if not upload or not upload.filename:
            raise ImportError_(_("Scegli un file CSV."))
        rows, errors = parse(data, library)
        if not rows and not errors:
            raise ImportError_(_("Il file non contiene righe da importare."))
    except ImportError_ as exc:
        form.file.errors = [str(exc)]
        return render("library/import.html", status=422, library=library, form=form)
    token = ""
    if not errors:
        token = f"{current_user.id}-{secrets.token_urlsafe(16)}"
        (_import_dir() / f"{token}.csv").write_bytes(data)
    return render(
        "library/import.html",
        status=422 if errors else 200,
        library=library,
        form=form,
        rows=rows,
        errors=errors,
        token=token,
        copies=sum(len(r["barcodes"]) for r in rows),
    )


@bp.route("/library/staff/import/confirm", methods=["POST"])
@staff_required
def import_confirm():
    """CSV import, step 2: write every row in one transaction, or nothing."""
    library = _staff_library()
    token = request.form.get("token", "")
    if not token.startswith(f"{current_user.id}-") or "/" in token or ".." in token:
        abort(400)
    path = _import_dir() / f"{token}.csv"
    if not path.exists():
        flash(_("L'anteprima è scaduta: carica di nuovo il file."), "warning")
        return _go(".import_csv", library)
    try:
        rows, errors = parse(path.read_bytes(), library)
        if errors:
            raise ImportError_(_("Il catalogo è cambiato dopo l'anteprima: carica di nuovo il file."))
        titles, copies = import_rows(rows, library)
    except (ImportError_, IntegrityError) as exc:
        form = ImportForm(formdata=None)
        form.file.errors = [
            str(exc)
            if isinstance(exc, ImportError_)
            else _("Un codice a barre è stato usato nel frattempo: niente è stato importato.")
        ]
        return render("library/import.html", status=409, library=library, form=form)
    finally:
        path.unlink(missing_ok=True)
    flash(_("Importati %(titles)d titoli e %(copies)d copie.", titles=titles, copies=copies), "success")
    return _go(".catalogue", library)


# --- labels and figures -----------------------------------------------------------


@bp.route("/library/staff/labels")
@staff_required
def labels():
    """Choose copies to print labels for: by barcodes, or the ones added recently."""
    library = _staff_library()
    return render("library/labels.html", library=library, error=None, codes="")


@bp.route("/library/staff/labels.pdf", methods=["POST"])
@staff_required
def labels_pdf():
    """Labels (A4, 3 x 8) with a QR code, the printed barcode, title and shelf mark."""
    library = _staff_library()
    codes = [circ.normalise_code(c) for c in (request.form.get("codes") or "").replace(",", " ").split()][:240]
    query = Copy.select(Copy, Title).join(Title).where(Title.library == library)
    if codes:
        copies = list(query.where(Copy.barcode.in_(codes)).order_by(Copy.barcode))
    else:
        try:
            days = max(1, min(365, int(request.form.get("days") or 7)))
        except ValueError:
            days = 7
        copies = list(query.where(Copy.created_at >= utcnow() - timedelta(days=days)).order_by(Copy.barcode).limit(240))
    missing = sorted(set(codes) - {c.barcode for c in copies})
    if missing or not copies:
        error = (
            _("Codici sconosciuti: %(codes)s.", codes=", ".join(missing[:20]))
            if missing
            else _("Nessuna copia da etichettare.")
        )
        return render(
            "library/labels.html", status=422, library=library, error=error, codes=request.form.get("codes", "")[:5000]
        )
    labels = [(c, qr_data_uri(c.barcode, scale=3)) for c in copies]
    return pdf_response(render_pdf("library/labels_pdf.html", library=library, labels=labels), "etichette.pdf")


def _month_start(day):
    return day.replace(day=1)


@bp.route("/library/staff/figures")
@staff_required
def figures():
    """Monthly figures for the last twelve months: loans, returns, new members, languages."""
    library = _staff_library()
    first = _month_start(today_local())
    months = []
    for _i in range(12):
        months.append(first)
        first = _month_start(first - timedelta(days=1))
    rows = []
    for start in months:
        end = _month_start(start + timedelta(days=32))
        # Month bounds in naive UTC-ish datetimes: a few hours of drift at midnight do not matter here.
        lo, hi = datetime.combine(start, datetime.min.time()), datetime.combine(end, datetime.min.time())
        loans = dict(
            Loan.select(Loan.language, fn.COUNT(Loan.id))
            .where((Loan.library == library) & (Loan.issued_at >= lo) & (Loan.issued_at < hi))
            .group_by(Loan.language)
            .tuples()
        )
        rows.append(
            {
                "month": start,
                "loans": sum(loans.values()),
                "by_language": loans,
                "returns": Loan.select()
                .where((Loan.library == library) & (Loan.returned_at >= lo) & (Loan.returned_at < hi))
                .count(),
                "members": LibraryMember.select()
                .where(
                    (LibraryMember.library == library)
                    & (LibraryMember.joined_at >= lo)
                    & (LibraryMember.joined_at < hi)
                )
                .count(),
            }
        )
    languages = [code for code in LANGUAGE_LABELS if any(r["by_language"].get(code) for r in rows)]
    return render("library/figures.html", library=library, rows=rows, languages=languages)
