"""Library pages for everyone: catalogue search and title pages; "My library" for
residents (loans, holds, history). The staff pages are in `staff_views`, on the
same blueprint."""

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import pgettext
from flask_login import current_user, login_required
from markupsafe import Markup
from playhouse.flask_utils import get_object_or_404

from portal.models import Site
from portal.moved import moved
from portal.mythings import or_account, refused_or
from portal.pagecache import public_page
from portal.rendering import render

from . import services
from .forms import AGE_LABELS, LANGUAGE_LABELS, HistoryForm
from .models import Hold, Library, Loan, Title
from .search import PER_PAGE, search_titles, suggestion

bp = Blueprint("library", __name__)


@bp.app_context_processor
def library_names():
    return {
        "language_label": lambda code: LANGUAGE_LABELS.get(code, code),
        "age_label": lambda code: AGE_LABELS.get(code, code),
        "LANGUAGE_LABELS": LANGUAGE_LABELS,
        "AGE_LABELS": AGE_LABELS,
        "title_lang": title_lang,
    }


def title_lang(title):
    """` lang="ar"` for a title written in its own language (a screen reader switches voice), else nothing."""
    code = title.language if title.language not in ("", "other") else None
    return Markup(' lang="{}"').format(code) if code else ""


def page_arg():
    """The ?page= of a paginated list (1 for anything that is not a positive number)."""
    try:
        return max(1, int(request.args.get("page", 1)))
    except ValueError:
        return 1


def see_other(endpoint, **values):
    """After a successful POST: 303, so the browser GETs the next page."""
    return redirect(url_for(endpoint, **values), code=303)


@bp.route("/library")
@public_page
def search():
    """Search the catalogue by title, author, subject or ISBN, with filters."""
    q = (request.args.get("q") or "").strip()[:200]
    language = request.args.get("lang") if request.args.get("lang") in LANGUAGE_LABELS else ""
    age = request.args.get("age") if request.args.get("age") in AGE_LABELS else ""
    available = request.args.get("available") == "1"
    page = page_arg()
    searched = bool(q or language or age or available)
    titles, total = search_titles(q, language, age, available, page) if searched else ([], 0)
    better = suggestion(q, total, language, age, available) if searched else None  # "did you mean"
    recent = [] if searched else list(Title.select().order_by(Title.created_at.desc(), Title.id.desc()).limit(8))
    counts = services.availability([t.id for t in titles + recent])
    return render(
        "library/search.html",
        block="results",
        q=q,
        language=language,
        age=age,
        available=available,
        titles=titles,
        total=total,
        better=better,
        page=page,
        per_page=PER_PAGE,
        counts=counts,
        searched=searched,
        recent=recent,
        libraries=list(Library.select(Library, Site).join(Site)),
    )


def _title_or_404(title_id):
    query = Title.select(Title, Library, Site).join(Library).join(Site)
    return get_object_or_404(query, Title.id == title_id)


@bp.route("/library/titles/<int:title_id>")
@public_page
def title(title_id):
    """A title: details, its copies and where each one is, and the hold button."""
    title = _title_or_404(title_id)
    return _title_page(title)


def _title_page(title, error=None, status=200):
    reader = current_user._get_current_object() if current_user.is_authenticated else None
    return render(
        "library/title.html", status=status, title=title, error=error, **services.title_for_reader(title, reader)
    )


@bp.route("/library/titles/<int:title_id>/hold", methods=["POST"])
@login_required
def place_hold(title_id):
    """Join the queue for a title; the desk calls or mails when the book is ready."""
    title = _title_or_404(title_id)
    try:
        services.place_hold(title, current_user._get_current_object())
    except services.CirculationError as exc:
        return _title_page(title, error=exc.message, status=exc.status)
    flash(_("Prenotazione fatta. Ti avvisiamo quando il libro è pronto da ritirare."), "success")
    return see_other(".title", title_id=title.id)


# --- my library ----------------------------------------------------------------------


@bp.route("/account/library")
@login_required
def my_library():
    """My library: current loans, holds with their place in the queue, history if kept."""
    return _my_library_page()


def _my_library_page(error=None, status=200):
    context = services.my_library(current_user._get_current_object())
    return render(
        "library/my_library.html",
        status=status,
        error=error,
        history_form=HistoryForm(formdata=None, keep_history=context["keep"]),
        **context,
    )


@bp.route("/account/library/loans/<int:loan_id>/renew", methods=["POST"])
@login_required
def renew_mine(loan_id):
    """Renew one of my loans online, when the rules allow it."""
    loan = get_object_or_404(Loan, (Loan.id == loan_id) & (Loan.member == current_user.id))
    try:
        services.renew(loan)
    except services.CirculationError as exc:
        return refused_or(exc.message, _my_library_page(error=exc.message, status=exc.status))
    flash(_("Rinnovato: ora scade il %(date)s.", date=loan.due_date.strftime("%d/%m/%Y")), "success")
    return or_account(see_other(".my_library"))


@bp.route("/account/library/holds/<int:hold_id>/cancel", methods=["POST"])
@login_required
def cancel_mine(hold_id):
    """Cancel one of my holds (the copy, if ready, passes to the next person)."""
    hold = get_object_or_404(Hold, (Hold.id == hold_id) & (Hold.member == current_user.id))
    services.cancel_hold(hold)
    flash(pgettext("library", "Prenotazione annullata."), "success")
    return or_account(see_other(".my_library"))


@bp.route("/account/library/history", methods=["POST"])
@login_required
def history_choice():
    """Opt in or out of keeping my loan history (off by default)."""
    form = HistoryForm()
    keep = bool(form.keep_history.data)
    services.set_keep_history(current_user._get_current_object(), keep)
    flash(
        _("Scelta salvata: lo storico dei prestiti viene conservato.")
        if keep
        else _("Scelta salvata: lo storico dei prestiti non viene conservato (quello passato è stato cancellato)."),
        "success",
    )
    return see_other(".my_library")


# --- old addresses (before the area contract): /account/loans… is shared with bookings -----
moved(bp, "/account/loans", "library.my_library")
moved(bp, "/account/loans/<int:loan_id>/renew", "library.renew_mine", methods=["POST"])
moved(bp, "/account/holds/<int:hold_id>/cancel", "library.cancel_mine", methods=["POST"])
moved(bp, "/account/loans/history", "library.history_choice", methods=["POST"])
