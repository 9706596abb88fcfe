"""Library pages for the staff of a centre that has a library: the lending rules,
the circulation desk, reader cards, the hold shelf and the people to phone, overdue
lists and letters, cataloguing, CSV import, labels and the monthly figures.

Same blueprint as the public pages (`views.bp`), under /staff/library/….
"""

import re
import secrets
import time
from datetime import timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale, ngettext, pgettext
from flask_babel import gettext as _
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from portal import storage
from portal.auth import require_manage, staff_required
from portal.clock import today_local, utcnow
from portal.models import Service, Site
from portal.moved import moved_prefix
from portal.pdf import pdf_response, qr_data_uri, render_pdf
from portal.rendering import render

from . import importer, services
from .forms import LANGUAGE_LABELS, BarcodeForm, CheckoutForm, CopyForm, ImportForm, PolicyForm, TitleForm
from .models import Copy, Hold, Library, Title
from .search import search_titles
from .views import bp, page_arg, see_other

STAFF = "/staff/library"


# --- which library ---------------------------------------------------------------------


def _staff_library():
    """The library the staff member works on: ?site=<slug>, else the first they manage.

    403 for a centre they do not manage; 404 when the centre has no library; a
    page that says so when none of their centres has one."""
    slug = request.args.get("site")
    if slug:
        site = get_object_or_404(Site, Site.slug == slug)
        require_manage(site)
        library = Library.get_or_none(Library.site == site)
        if library is None:
            if not _has_library_service(site):
                abort(404)
            abort(_preparing())  # a GET never writes: the job "library-open" creates it within a minute
        return library
    preparing = False
    for site in current_user.managed_sites():
        library = Library.get_or_none(Library.site == site)
        if library is not None:
            return library
        preparing = preparing or _has_library_service(site)
    if preparing:
        abort(_preparing())
    # Staff of a centre without a library follow the link from the dashboard: explain.
    abort(render("library/staff/no_library.html", libraries=list(Library.select(Library, Site).join(Site))))


def _preparing():
    return render("library/staff/no_library.html", preparing=True, libraries=[])


def _has_library_service(site):
    return Service.select().where((Service.site == site) & (Service.area == "library")).exists()


def _go(endpoint, library, **kwargs):
    """After a successful POST: 303 to a staff page of the same library."""
    return see_other(endpoint, site=library.site.slug, **kwargs)


def _staff_title(library, title_id):
    title = get_object_or_404(Title, Title.id == title_id)
    if title.library_id != library.id:
        abort(403)
    return title


def _library_hold(library, hold_id):
    query = Hold.select().join(Title)
    return get_object_or_404(query, (Hold.id == hold_id) & (Title.library == library))


# --- rules ---------------------------------------------------------------------------------


@bp.route(STAFF, methods=["GET", "POST"])
@staff_required
def staff_index():
    """The library at a glance, and its lending rules."""
    library = _staff_library()
    if request.method == "GET":
        return _staff_index_page(library, PolicyForm(obj=library))
    form = PolicyForm()
    if not form.validate():
        return _staff_index_page(library, form, 422)
    services.save_policy(library, {name: getattr(form, name).data for name in services.POLICY_FIELDS})
    flash(_("Regole salvate: valgono per i nuovi prestiti e rinnovi."), "success")
    return _go(".staff_index", library)


def _staff_index_page(library, form, status=200):
    figures = services.desk_summary(library)
    return render("library/staff/index.html", status=status, library=library, figures=figures, form=form)


# --- the desk --------------------------------------------------------------------------------


def _desk_context(library, **forms):
    return {
        "library": library,
        "form": forms.get("form") or CheckoutForm(formdata=None),
        "checkin_form": forms.get("checkin_form") or BarcodeForm(formdata=None, prefix="in"),
        "renew_form": forms.get("renew_form") or BarcodeForm(formdata=None, prefix="rn"),
    }


@bp.route(f"{STAFF}/desk", methods=["GET", "POST"])
@staff_required
def desk():
    """Circulation desk: check out with the copy's barcode and the member's card code."""
    library = _staff_library()
    if request.method == "GET":
        return render("library/staff/desk.html", **_desk_context(library))
    form = CheckoutForm()
    ctx = _desk_context(library, form=form)
    if not form.validate():
        return render("library/staff/desk.html", status=422, **ctx)
    try:
        loan = services.checkout(
            library, form.barcode.data, form.member_code.data, current_user, form.override_reason.data
        )
    except services.Blocked as exc:
        return render("library/staff/desk.html", status=exc.status, blocked=exc.reasons, **ctx)
    except services.CirculationError as exc:
        getattr(form, exc.field).errors.append(exc.message)
        return render("library/staff/desk.html", status=exc.status, **ctx)
    # What else the person has: the volunteer can remind them of due dates and of
    # a book waiting for them on the hold shelf.
    card = services.reader_card(library, loan.member)
    return render(
        "library/staff/desk.html",
        done_loan=loan,
        member_loans=card["loans"],
        member_ready=card["ready"],
        today=today_local(),
        **_desk_context(library),
    )


@bp.route(f"{STAFF}/checkin", methods=["POST"])
@staff_required
def checkin():
    """Check a copy in; the desk is told when it goes to the hold shelf."""
    library = _staff_library()
    form = BarcodeForm(prefix="in")
    ctx = _desk_context(library, checkin_form=form)
    if not form.validate():
        return render("library/staff/desk.html", status=422, **ctx)
    try:
        loan, hold, copy = services.checkin(library, form.barcode.data)
    except services.CirculationError as exc:
        form.barcode.errors.append(exc.message)
        return render("library/staff/desk.html", status=exc.status, **ctx)
    return render(
        "library/staff/desk.html", checked_in=copy, returned_loan=loan, trapped=hold, **_desk_context(library)
    )


@bp.route(f"{STAFF}/renew", methods=["POST"])
@staff_required
def renew_desk():
    """Renew a loan at the desk by the copy's barcode."""
    library = _staff_library()
    form = BarcodeForm(prefix="rn")
    ctx = _desk_context(library, renew_form=form)
    if not form.validate():
        return render("library/staff/desk.html", status=422, **ctx)
    try:
        loan = services.renew_at_desk(library, form.barcode.data)
    except services.CirculationError as exc:
        form.barcode.errors.append(exc.message)
        return render("library/staff/desk.html", status=exc.status, **ctx)
    return render("library/staff/desk.html", renewed=loan, **_desk_context(library))


@bp.route(f"{STAFF}/reader")
@staff_required
def reader():
    """A reader's card at the desk, by member code: loans, holds, what blocks a loan."""
    library = _staff_library()
    code = (request.args.get("code") or "").strip()[:20]
    member = error = None
    card = {"loans": [], "holds": [], "blocks": [], "places": {}}
    if code:
        try:
            member = services.find_member(code)
        except services.CirculationError as exc:
            error = exc.message
    if member is not None:
        card = services.reader_card(library, member)
    return render(
        "library/staff/reader.html",
        status=404 if error else 200,
        library=library,
        code=code,
        member=member,
        error=error,
        loans=card["loans"],
        holds=card["holds"],
        places=card["places"],
        blocks=card["blocks"],
        today=today_local(),
    )


# --- holds -------------------------------------------------------------------------------------


@bp.route(f"{STAFF}/holds")
@staff_required
def holds_shelf():
    """Hold shelf: books waiting for pickup, copies to pull from the shelf, people to phone."""
    library = _staff_library()
    return render("library/staff/holds.html", library=library, **services.hold_shelf(library))


@bp.route(f"{STAFF}/phone")
@staff_required
def to_phone():
    """The library's people to phone: now the one staff phone list, filtered (permanent redirect)."""
    return redirect(url_for("phone.page", area="library", site=request.args.get("site")), 301)


@bp.route(f"{STAFF}/holds/<int:hold_id>/phoned", methods=["POST"])
@staff_required
def mark_phoned(hold_id):
    """Record that the desk phoned the person."""
    library = _staff_library()
    services.mark_phoned(_library_hold(library, hold_id))
    flash(_("Segnato: telefonata fatta."), "success")
    return _go(".to_phone", library)


@bp.route(f"{STAFF}/holds/<int:hold_id>/cancel", methods=["POST"])
@staff_required
def cancel_hold_desk(hold_id):
    """Cancel a hold for the person (they said they no longer want it); the next one is called."""
    library = _staff_library()
    services.cancel_hold(_library_hold(library, hold_id))
    flash(pgettext("library", "Prenotazione annullata."), "success")
    return _go(".holds_shelf", library)


# --- overdue ----------------------------------------------------------------------------------


@bp.route(f"{STAFF}/overdue")
@staff_required
def overdue():
    """Overdue loans and loans due in the next days."""
    library = _staff_library()
    return render("library/staff/overdue.html", library=library, **services.overdue_lists(library))


@bp.route(f"{STAFF}/overdue/remind", methods=["POST"])
@staff_required
def overdue_remind():
    """E-mail a reminder to everyone with an overdue loan and an e-mail address (once a week at most)."""
    library = _staff_library()
    sent = services.send_overdue_reminders(library)
    flash(
        ngettext("Promemoria inviato a %(num)d persona.", "Promemoria inviato a %(num)d persone.", sent)
        if sent
        else _("Nessun promemoria da inviare (chi ha l'e-mail l'ha già ricevuto questa settimana)."),
        "success" if sent else "info",
    )
    return _go(".overdue", library)


@bp.route(f"{STAFF}/overdue/letters.pdf")
@staff_required
def overdue_letters():
    """Printable reminder letters, one page per person, each in the person's language
    (by default for those without e-mail)."""
    library = _staff_library()
    people = services.overdue_people(library, everyone=request.args.get("all") == "1")
    if not people:
        flash(_("Nessuna lettera da stampare."), "info")
        return _go(".overdue", library)
    letters = []
    for member, member_loans in people:
        with force_locale(member.language or "it"):
            letters.append(
                render_template(
                    "library/staff/_letter.html",
                    library=library,
                    member=member,
                    loans=member_loans,
                    today=today_local(),
                )
            )
    data = render_pdf("library/staff/letters_pdf.html", letters=letters)
    return pdf_response(data, f"solleciti-{today_local().isoformat()}.pdf")


# --- cataloguing ------------------------------------------------------------------------------


@bp.route(f"{STAFF}/catalogue")
@staff_required
def catalogue():
    """Cataloguing: find a title to edit, or add a new one."""
    library = _staff_library()
    q = (request.args.get("q") or "").strip()[:200]
    if q:
        titles, total = search_titles(q, page=page_arg(), library=library)
    else:
        titles = list(Title.select().where(Title.library == library).order_by(Title.created_at.desc()).limit(20))
        total = None
    return render(
        "library/staff/catalogue.html",
        block="results",
        library=library,
        q=q,
        titles=titles,
        total=total,
        counts=services.availability([t.id for t in titles]),
    )


def _title_values(form):
    values = {name: getattr(form, name).data for name in services.TITLE_FIELDS if name != "isbn"}
    return dict(values, isbn=getattr(form.isbn, "normalised", None))  # no ISBN sent: validate_isbn did not run


@bp.route(f"{STAFF}/titles/new", methods=["GET", "POST"])
@staff_required
def title_new():
    """Add a title to the catalogue (then its copies)."""
    library = _staff_library()
    form = TitleForm()
    if request.method == "GET":
        return render("library/staff/title_form.html", library=library, form=form, title=None)
    if form.validate():
        try:
            title = services.save_title(library, _title_values(form))
        except services.CirculationError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("Titolo aggiunto. Ora aggiungi le copie."), "success")
            return _go(".title_edit", library, title_id=title.id)
    return render("library/staff/title_form.html", status=422, library=library, form=form, title=None)


@bp.route(f"{STAFF}/titles/<int:title_id>", methods=["GET", "POST"])
@staff_required
def title_edit(title_id):
    """Edit a title and manage its copies."""
    library = _staff_library()
    title = _staff_title(library, title_id)
    if request.method == "GET":
        return _title_edit_page(library, title, TitleForm(obj=title), CopyForm(formdata=None))
    form = TitleForm()
    if form.validate():
        try:
            services.save_title(library, _title_values(form), title)
        except services.CirculationError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("Titolo salvato."), "success")
            return _go(".title_edit", library, title_id=title.id)
    return _title_edit_page(library, title, form, CopyForm(formdata=None), 422)


def _title_edit_page(library, title, form, copy_form, status=200, **extra):
    copies = list(title.copies.order_by(Copy.barcode))
    return render(
        "library/staff/title_form.html",
        status=status,
        library=library,
        form=form,
        title=title,
        copies=copies,
        states=services.copy_states(copies),
        copy_form=copy_form,
        queue=services.title_queue(title),
        **extra,
    )


@bp.route(f"{STAFF}/titles/<int:title_id>/hold", methods=["POST"])
@staff_required
def hold_for_member(title_id):
    """Place a hold for someone at the desk (by the code on their card)."""
    library = _staff_library()
    title = _staff_title(library, title_id)
    code = request.form.get("member_code", "")
    try:
        member = services.find_member(code)
        services.place_hold(title, member)
    except services.CirculationError as exc:
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


def _copy_values(form):
    return {name: getattr(form, name).data for name in services.COPY_FIELDS}


@bp.route(f"{STAFF}/titles/<int:title_id>/copies", methods=["POST"])
@staff_required
def copy_new(title_id):
    """Add a copy with a unique barcode."""
    library = _staff_library()
    title = _staff_title(library, title_id)
    form = CopyForm()
    if form.validate():
        try:
            services.save_copy(title, _copy_values(form))
        except services.CirculationError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("Copia %(code)s aggiunta.", code=form.barcode.data), "success")
            return _go(".title_edit", library, title_id=title.id)
    return _title_edit_page(library, title, TitleForm(obj=title, formdata=None), form, 422)


@bp.route(f"{STAFF}/copies/<int:copy_id>", methods=["GET", "POST"])
@staff_required
def copy_edit(copy_id):
    """Edit a copy: barcode, shelf mark, withdrawn."""
    library = _staff_library()
    copy = get_object_or_404(Copy, Copy.id == copy_id)
    title = _staff_title(library, copy.title_id)
    if request.method == "GET":
        form = CopyForm(obj=copy)
        return render("library/staff/copy_form.html", library=library, title=title, copy=copy, form=form)
    form = CopyForm()
    if form.validate():
        try:
            services.save_copy(title, _copy_values(form), copy)
        except services.CirculationError as exc:
            getattr(form, exc.field).errors.append(exc.message)
        else:
            flash(_("Copia salvata."), "success")
            return _go(".title_edit", library, title_id=title.id)
    return render("library/staff/copy_form.html", status=422, library=library, title=title, copy=copy, form=form)


# --- import -----------------------------------------------------------------------------------


PREVIEW_HOURS = 24
PREVIEW_TOKEN = re.compile(r"(\d+)-(\d+)-[\w-]+")  # user id, when it was made (app clock), random part


def _preview_made_at(token):
    match = PREVIEW_TOKEN.fullmatch(token)
    return int(match.group(2)) if match else None


def _import_key(token):
    """Where a preview waits for its confirmation (shared storage: the confirmation may reach
    another app server). Previews nobody confirmed are dropped after a day, on the next upload or
    confirmation; their age comes from the token, written with the portal's clock (not from file
    times, which belong to another clock)."""
    store = storage.uploads()
    oldest = time.time() - PREVIEW_HOURS * 3600
    for stale in store.list("library-import/"):
        made_at = _preview_made_at(stale.key.rpartition("/")[2].removesuffix(".csv"))
        if made_at is None or made_at < oldest:
            store.delete(stale.key)
    return f"library-import/{token}.csv"


@bp.route(f"{STAFF}/import", methods=["GET", "POST"])
@staff_required
def import_csv():
    """CSV import, step 1: upload, check every row, show a preview."""
    library = _staff_library()
    form = ImportForm()
    if request.method == "GET":
        return render("library/staff/import.html", library=library, form=form)
    upload = request.files.get("file")
    data = upload.read(importer.MAX_BYTES + 1) if upload else b""
    try:
        rows, errors = importer.preview(data, upload.filename if upload else "", library)
    except importer.ImportRefused as exc:
        form.file.errors = [exc.message]
        return render("library/staff/import.html", status=exc.status, library=library, form=form)
    token = ""
    if not errors:
        token = f"{current_user.id}-{int(time.time())}-{secrets.token_urlsafe(16)}"
        storage.uploads().write(_import_key(token), data, "text/csv")
    return render(
        "library/staff/import.html",
        status=422 if errors else 200,
        library=library,
        form=form,
        rows=rows,
        errors=errors,
        token=token,
        copies=sum(len(r["barcodes"]) for r in rows),
    )


@bp.route(f"{STAFF}/import/confirm", methods=["POST"])
@staff_required
def import_confirm():
    """CSV import, step 2: write every row in one transaction, or nothing."""
    library = _staff_library()
    token = request.form.get("token", "")
    if not PREVIEW_TOKEN.fullmatch(token) or not token.startswith(f"{current_user.id}-"):
        abort(400)
    key = _import_key(token)
    data = storage.uploads().read(key)
    if data is None:
        flash(_("L'anteprima è scaduta: carica di nuovo il file."), "warning")
        return _go(".import_csv", library)
    try:
        titles, copies = importer.confirm(data, library)
    except importer.ImportRefused as exc:
        form = ImportForm(formdata=None)
        form.file.errors = [exc.message]
        return render("library/staff/import.html", status=exc.status, library=library, form=form)
    finally:
        storage.uploads().delete(key)
    flash(_("Importati %(titles)d titoli e %(copies)d copie.", titles=titles, copies=copies), "success")
    return _go(".catalogue", library)


# --- labels and figures -----------------------------------------------------------------------


@bp.route(f"{STAFF}/labels")
@staff_required
def labels():
    """Choose copies to print labels for: by barcodes, or the ones added recently."""
    library = _staff_library()
    return render("library/staff/labels.html", library=library, error=None, codes="")


@bp.route(f"{STAFF}/labels.pdf", methods=["POST"])
@staff_required
def labels_pdf():
    """Labels (A4 sheets of 3 x 8, 70 x 37 mm) with a QR code, the printed barcode, title and shelf mark."""
    library = _staff_library()
    codes = [services.normalise_code(c) for c in (request.form.get("codes") or "").replace(",", " ").split()][:240]
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
        codes_typed = request.form.get("codes", "")[:5000]
        return render("library/staff/labels.html", status=422, library=library, error=error, codes=codes_typed)
    labels = [(c, qr_data_uri(c.barcode, scale=3)) for c in copies]
    return pdf_response(render_pdf("library/staff/labels_pdf.html", library=library, labels=labels), "etichette.pdf")


@bp.route(f"{STAFF}/figures")
@staff_required
def figures():
    """Monthly figures for the last twelve months: loans, returns, new members, languages."""
    library = _staff_library()
    rows = services.monthly_figures(library)
    languages = [code for code in LANGUAGE_LABELS if any(r["by_language"].get(code) for r in rows)]
    return render("library/staff/figures.html", library=library, rows=rows, languages=languages)


# --- old addresses (before the area contract) -------------------------------------------------
moved_prefix(bp, "/library/staff", STAFF)
