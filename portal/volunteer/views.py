"""Volunteer pages: opportunities and shifts, sign-up (account or guest), my shifts,
profile, ICS feed, certificate of hours."""

from datetime import timedelta

from flask import abort, flash, redirect, request, session, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_login import current_user, login_required
from peewee import fn
from playhouse.flask_utils import get_object_or_404

from portal.clock import utcnow
from portal.guests import setting as guest_setting
from portal.ics import CalendarEntry, calendar_bytes, calendar_response
from portal.models import Site, User
from portal.mythings import or_account, refused_or
from portal.pagecache import public_page
from portal.refusals import Refusal
from portal.rendering import render
from portal.templating import current_lang
from portal.urls import external_url

from . import bp, services
from .choices import ACTIVITIES, LANGUAGES, SKILLS, label_map, labels
from .documents import certificate_response, served_rows
from .forms import ProfileForm, SignupForm
from .models import ACTIVE, CANCELLED, WAITLIST, Opportunity, Profile, Shift, Signup, codes_of, hours_served
from .services import SignupError
from .texts import localize

SHIFTS_PER_CARD = 4


@bp.app_context_processor
def volunteer_names():
    return {
        "activity_label": label_map(ACTIVITIES),
        "skill_labels": lambda c: labels(SKILLS, c),
        "language_labels": lambda c: labels(LANGUAGES, c),
        "hours_text": hours_text,
    }


def hours_text(hours):
    """2.5 -> '2,5' in Italian, '2.5' in English; whole hours without decimals."""
    return format_decimal(round(hours or 0, 1), format="#,##0.#")


def _shift_or_404(shift_id):
    return get_object_or_404(Shift.select(Shift, Opportunity, Site).join(Opportunity).join(Site), Shift.id == shift_id)


def _visible(opp):
    """Hidden opportunities are seen only by the staff of their centre."""
    return opp.is_active or (current_user.is_authenticated and current_user.can_manage(opp.site))


@bp.route("/volunteer")
@public_page
def index():
    """Ways to help, by centre and activity, each with its next shifts and places left."""
    sites = list(Site.ordered())
    site = next((s for s in sites if s.slug == request.args.get("site")), None)
    activity = request.args.get("activity") if request.args.get("activity") in label_map(ACTIVITIES) else ""
    query = (
        Opportunity.select(Opportunity, Site)
        .join(Site)
        .where(Opportunity.is_active)
        .order_by(Site.position, Opportunity.title)
    )
    if site:
        query = query.where(Opportunity.site == site)
    if activity:
        query = query.where(Opportunity.activity == activity)
    opportunities = localize(query)
    shifts = {}
    if opportunities:
        # The next few shifts of each opportunity in one query: ROW_NUMBER() per opportunity
        # (window functions: SQLite 3.25+ and PostgreSQL).
        position = fn.ROW_NUMBER().over(partition_by=[Shift.opportunity], order_by=[Shift.starts_at, Shift.id])
        ranked = Shift.select(Shift, position.alias("position")).where(
            Shift.opportunity.in_([o.id for o in opportunities])
            & (Shift.starts_at > utcnow())
            & Shift.cancelled_at.is_null()
        )
        upcoming = (
            Shift.select(
                ranked.c.id,
                ranked.c.opportunity_id,
                ranked.c.starts_at,
                ranked.c.ends_at,
                ranked.c.capacity,
                ranked.c.taken,
                ranked.c.cancelled_at,
            )
            .from_(ranked)
            .where(ranked.c.position <= SHIFTS_PER_CARD)
            .order_by(ranked.c.starts_at, ranked.c.id)
        )
        for shift in upcoming:
            shifts.setdefault(shift.opportunity_id, []).append(shift)
    return render(
        "volunteer/index.html",
        block="results",
        sites=sites,
        site=site,
        activity=activity,
        opportunities=opportunities,
        shifts=shifts,
        activities=ACTIVITIES,
    )


@bp.route("/volunteer/opportunities/<int:opp_id>")
@public_page
def opportunity(opp_id):
    """One way to help: what it is, who coordinates, what is needed, every coming shift."""
    opp = get_object_or_404(Opportunity.select(Opportunity, Site).join(Site), Opportunity.id == opp_id)
    if not _visible(opp):
        abort(404)
    shifts = list(
        Shift.select()
        .where((Shift.opportunity == opp) & (Shift.ends_at > utcnow()))
        .order_by(Shift.starts_at)
        .limit(60)
    )
    coordinator = User.get_or_none(User.id == opp.coordinator_id) if opp.coordinator_id else None
    localize([opp])
    return render("volunteer/opportunity.html", opp=opp, shifts=shifts, coordinator=coordinator)


def _my_signup(shift):
    if not current_user.is_authenticated:
        return None
    return Signup.select().where((Signup.shift == shift) & (Signup.key_user == current_user.id)).first()


def _signup_form(opp, formdata=None):
    form = SignupForm(formdata=formdata) if formdata is not None else SignupForm()
    if current_user.is_authenticated:
        del form.name, form.email, form.phone
    form.set_party_choices(opp.max_party)
    return form


GUEST_SESSION_KEY = "volunteer_guest_links"


def _remember_guest_link(token):
    """Keep the guest's last sign-up links in the session, so this phone shows them again."""
    links = [t for t in session.get(GUEST_SESSION_KEY, []) if t != token]
    session[GUEST_SESSION_KEY] = ([token] + links)[:8]


def _guest_signup_here(shift):
    """(signup, token) of a live guest sign-up made on this device for `shift`, if any."""
    if current_user.is_authenticated:
        return None, None
    for token in session.get(GUEST_SESSION_KEY, []):
        signup = services.signup_from_token(token)
        if signup is not None and signup.shift_id == shift.id and signup.status != CANCELLED:
            return signup, token
    return None, None


def _shift_page(shift, form, status=200, error=None, full=False):
    opp = shift.opportunity
    mine = _my_signup(shift)
    guest_signup, guest_token = _guest_signup_here(shift)
    overlaps = []
    if current_user.is_authenticated and not mine:
        overlaps = services.overlapping(shift, user=current_user)
    coordinator = User.get_or_none(User.id == opp.coordinator_id) if opp.coordinator_id else None
    full = full or shift.places_left == 0
    if full:
        form.waitlist.data = "1"  # the next submit joins the waitlist, knowingly
    return render(
        "volunteer/shift.html",
        shift=shift,
        opp=opp,
        form=form,
        mine=mine,
        overlaps=overlaps,
        error=error,
        full=full,
        coordinator=coordinator,
        may_cancel=mine is not None and services.may_cancel(mine),
        status=status,
        guest_signup=guest_signup,
        guest_token=guest_token,
    )


@bp.route("/volunteer/shifts/<int:shift_id>", methods=["GET", "POST"])
def shift(shift_id):
    """A shift with its places left and the sign-up form (account or guest)."""
    shift = _shift_or_404(shift_id)
    opp = shift.opportunity
    if not _visible(opp):
        abort(404)
    if request.method == "GET":
        form = _signup_form(opp, formdata=None)
        localize([opp])
        return _shift_page(shift, form)
    form = _signup_form(opp)
    if not form.validate():
        return _shift_page(shift, form, status=422)
    if not current_user.is_authenticated:
        return _guest_join(shift, form)
    user = current_user._get_current_object()
    try:
        signup, overlaps = services.join_shift(
            shift,
            user=user,
            party=form.party.data,
            companions=form.companions.data,
            waitlist_ok=form.waitlist.data == "1",
            lang=str(current_lang()),
        )
    except SignupError as exc:
        return _refused(shift_id, form, exc)
    if overlaps:
        flash(
            _(
                "Attenzione: a quest'ora hai già un altro turno (%(what)s). "
                "Se non puoi fare entrambi, disdici uno dei due.",
                what=", ".join(o.shift.opportunity.title for o in overlaps),
            ),
            "warning",
        )
    waiting = signup.status == WAITLIST
    flash(
        _("Sei in lista d'attesa: ti avvisiamo se si libera un posto.") if waiting else _("Iscrizione fatta. Grazie!"),
        "success",
    )
    return redirect(url_for(".mine"), code=303)


def _refused(shift_id, form, exc):
    """The shift page again with the refusal next to its field (or on top)."""
    if getattr(exc, "full", False):
        form.waitlist.data = "1"
    error = exc.message
    if exc.field and exc.field in form:  # the message goes next to its field
        form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
        error = None
    return _shift_page(_shift_or_404(shift_id), form, status=exc.status, error=error, full=getattr(exc, "full", False))


def _guest_join(shift, form):
    try:
        via = services.guest_join(
            shift,
            name=form.name.data,
            phone=form.phone.e164 or "",
            email=form.email.data,
            party=form.party.data,
            companions=form.companions.data,
            waitlist_ok=form.waitlist.data == "1",
            lang=str(current_lang()),
        )
    except Refusal as exc:  # over the limits (429), no room, closed: the form back with the input kept
        return _refused(shift.id, form, exc)
    return redirect(url_for(".guest_check", shift_id=shift.id, via=via), code=303)


@bp.route("/volunteer/shifts/<int:shift_id>/check")
def guest_check(shift_id):
    """After a guest's sign-up: "check your mail" (or "we will call you"), the same whoever asked."""
    shift = _shift_or_404(shift_id)
    if not _visible(shift.opportunity):
        abort(404)
    via = "phone" if request.args.get("via") == "phone" else "mail"
    return render(
        "volunteer/guest_check.html",
        shift=shift,
        opp=shift.opportunity,
        via=via,
        minutes=guest_setting("GUEST_CONFIRM_MINUTES"),
    )


@bp.route("/volunteer/s/<token>")
def guest_signup(token):
    """A guest's own sign-up (signed link): status, and the button to cancel."""
    signup = services.signup_from_token(token)
    if signup is None:
        return render("volunteer/link_invalid.html", status=404)
    return render(
        "volunteer/guest_signup.html",
        signup=signup,
        shift=signup.shift,
        token=token,
        may_cancel=services.may_cancel(signup),
    )


@bp.route("/volunteer/c/<token>", methods=["GET", "POST"])
def guest_confirm(token):
    """The link we e-mail to a guest: a GET shows the "Confermo" button, the POST confirms (proves the address)."""
    signup = services.signup_from_confirm_token(token)
    if signup is None:
        return render("volunteer/link_invalid.html", status=404)
    manage = services.signup_token(signup)
    if request.method == "GET":  # mail scanners open links: a GET never confirms
        if signup.confirmed or signup.status == CANCELLED:
            return redirect(url_for(".guest_signup", token=manage))
        return render("volunteer/guest_confirm.html", signup=signup, shift=signup.shift, token=token)
    if services.confirm_guest(signup):
        flash(_("Iscrizione confermata. Grazie!"), "success")
    _remember_guest_link(manage)
    return redirect(url_for(".guest_signup", token=manage), code=303)


@bp.route("/volunteer/s/<token>/cancel", methods=["POST"])
def guest_cancel(token):
    """A guest cancels through the signed link, until the cut-off."""
    signup = services.signup_from_token(token)
    if signup is None:
        return render("volunteer/link_invalid.html", status=404)
    try:
        cancelled = services.cancel_own_signup(signup)
    except SignupError as exc:
        return render(
            "volunteer/guest_signup.html",
            signup=signup,
            shift=signup.shift,
            token=token,
            may_cancel=False,
            error=exc.message,
            status=exc.status,
        )
    if cancelled:
        flash(_("Iscrizione disdetta. Grazie per averci avvisato!"), "success")
    else:
        flash(_("Questa iscrizione era già stata disdetta."), "info")
    return redirect(url_for(".guest_signup", token=token), code=303)


# --- my shifts -----------------------------------------------------------------------
def _my_signups():
    return (
        Signup.select(Signup, Shift, Opportunity, Site)
        .join(Shift)
        .join(Opportunity)
        .join(Site)
        .where((Signup.user == current_user.id) & (Signup.status != CANCELLED))
    )


@bp.route("/volunteer/mine")
@login_required
def mine():
    """My shifts: coming ones (with cancel), the waitlist, hours served, ICS feed, certificate."""
    return _mine_page()


def _mine_page(error=None, status=200):
    now = utcnow()
    rows = list(_my_signups().order_by(Shift.starts_at))
    coming = [s for s in rows if s.shift.ends_at > now]
    past = [s for s in reversed(rows) if s.shift.ends_at <= now and s.attended]
    profile = Profile.get_or_none(Profile.user == current_user.id)  # a GET creates nothing
    return render(
        "volunteer/mine.html",
        coming=coming,
        past=past[:50],
        hours=hours_served(current_user.id),
        feed_url=external_url(".feed", token=profile.feed_token) if profile else None,
        now=now,
        may_cancel=services.may_cancel,
        error=error,
        status=status,
    )


@bp.route("/volunteer/mine/<int:signup_id>/cancel", methods=["POST"])
@login_required
def mine_cancel(signup_id):
    """Cancel one of my sign-ups, until the cut-off."""
    signup = get_object_or_404(_my_signups(), Signup.id == signup_id)
    try:
        services.cancel_own_signup(signup)
    except SignupError as exc:
        return refused_or(exc.message, _mine_page(error=exc.message, status=exc.status))
    flash(_("Iscrizione disdetta. Grazie per averci avvisato!"), "success")
    return or_account(redirect(url_for(".mine"), code=303))


@bp.route("/volunteer/profile", methods=["GET", "POST"])
@login_required
def profile():
    """My volunteer profile: skills, languages, availability."""
    if request.method == "GET":  # a GET creates nothing: an empty profile until the first save
        profile = Profile.get_or_none(Profile.user == current_user.id) or Profile(user=current_user.id)
    else:
        profile = Profile.for_user(current_user.id)
    sites = list(Site.ordered())
    if request.method == "GET":
        form = ProfileForm(
            formdata=None,
            skills=codes_of(profile.skills),
            languages=codes_of(profile.languages),
            availability=codes_of(profile.availability),
            site=profile.site_id or 0,
            notes=profile.notes,
            in_directory=profile.in_directory,
        )
    else:
        form = ProfileForm()
    form.site.choices = [(0, _("Nessuna preferenza"))] + [(s.id, s.name) for s in sites]
    if request.method == "POST":
        if not form.validate():
            return render("volunteer/profile.html", form=form, status=422)
        services.save_profile(
            profile,
            skills=form.skills.data,
            languages=form.languages.data,
            availability=form.availability.data,
            site=form.site.data,
            notes=form.notes.data,
            in_directory=form.in_directory.data,
        )
        flash(_("Profilo salvato."), "success")
        return redirect(url_for(".mine"), code=303)
    return render("volunteer/profile.html", form=form)


@bp.route("/volunteer/feed/<token>.ics")
def feed(token):
    """My shifts as a calendar feed at a private address (no login: calendar apps cannot log in)."""
    profile = get_object_or_404(Profile, Profile.feed_token == token)
    rows = (
        Signup.select(Signup, Shift, Opportunity, Site)
        .join(Shift)
        .join(Opportunity)
        .join(Site)
        .where(
            (Signup.user == profile.user_id)
            & (Signup.status == ACTIVE)
            & (Shift.ends_at > utcnow() - timedelta(days=60))
        )
        .order_by(Shift.starts_at)
    )
    return _calendar(rows)


@bp.route("/volunteer/s/<token>/turno.ics")
def guest_ics(token):
    """A guest's shift for the phone's calendar (from the signed link)."""
    signup = services.signup_from_token(token)
    if signup is None or signup.status != ACTIVE:
        abort(404)
    return _calendar([signup], attachment=True)


def _calendar(rows, attachment=False):
    """An iCalendar answer with one entry per sign-up (Europe/Rome, a link back to the shift)."""
    entries = []
    for signup in rows:
        shift, opp = signup.shift, signup.shift.opportunity
        changes = [shift.last_change, signup.created_at, signup.promoted_at]
        entries.append(
            CalendarEntry(
                uid=f"vol-signup-{signup.id}",
                starts_at=shift.starts_at,
                ends_at=shift.ends_at,
                summary=opp.title + (f" ({_('annullato')})" if shift.is_cancelled else ""),
                changed_at=max(moment for moment in changes if moment is not None),
                description="\n".join(x for x in (opp.requirements, shift.note) if x),
                location=", ".join(x for x in (shift.location, opp.site.name, opp.site.full_address) if x),
                url=external_url(".shift", shift_id=shift.id),
                cancelled=shift.is_cancelled,
            )
        )
    body = calendar_bytes(entries, _("Binari: i miei turni"))
    return calendar_response(body, "turno-binari.ics" if attachment else "turni-binari.ics", attachment=attachment)


@bp.route("/volunteer/mine/certificate.pdf")
@login_required
def certificate():
    """Certificate of volunteer hours, for school credits and job applications."""
    rows = served_rows(current_user.id)
    if not rows:
        flash(
            _(
                "Non ci sono ancora ore di volontariato registrate: "
                "il certificato sarà disponibile dopo il primo turno."
            ),
            "info",
        )
        return redirect(url_for(".mine"))
    return certificate_response(current_user, rows)


def sitemap():
    """Public pages for /sitemap.xml: the volunteering page and every active opportunity."""
    opportunities = Opportunity.select(Opportunity.id, Opportunity.created_at).where(Opportunity.is_active)
    return [(url_for("volunteer.index"), None)] + [
        (url_for("volunteer.opportunity", opp_id=o.id), o.created_at) for o in opportunities.order_by(Opportunity.id)
    ]
