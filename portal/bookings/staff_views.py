"""Staff pages: today's desk, requests to approve, check-out and check-in, overdue
loans, the phone list, the daily sheet and receipts (PDF), resources, items, kits and policies.

Every object a staff member touches belongs to a centre: `require_manage(site)` or 403.
"""

from datetime import timedelta

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext, pgettext
from flask_login import current_user
from playhouse.flask_utils import get_object_or_404

from portal.auth import require_manage, staff_required
from portal.clock import local_date, local_day_bounds, to_local, today_local, utcnow
from portal.db import database
from portal.models import Site, User
from portal.pdf import pdf_response, render_pdf
from portal.rendering import render
from portal.robust import day_from

from . import services
from .forms import (
    CheckInForm,
    CheckOutForm,
    DecisionForm,
    ItemForm,
    KitForm,
    MemberCodeForm,
    MoveLoanForm,
    PolicyForm,
    ResourceForm,
    SlotForm,
)
from .models import (
    KIND_DESK,
    KIND_EQUIPMENT,
    KIND_ROOM,
    KINDS,
    Booking,
    Item,
    Kit,
    Loan,
    LoanItem,
    Policy,
    Resource,
)
from .services import BookingError
from .views import CALENDAR_DAYS, bp, pick_offers, picked_days


def _managed_sites():
    return list(current_user.managed_sites())


def _site_arg(sites):
    """The centre chosen with ?site=slug among the ones I manage (the first by default)."""
    slug = request.values.get("site")
    if slug:
        for site in sites:
            if site.slug == slug:
                return site
        abort(403)
    if not sites:
        abort(403)
    # Visconti runs co-working and lending: prefer a centre that has resources.
    with_things = {r.site_id for r in Resource.select(Resource.site).distinct()} | {
        i.site_id for i in Item.select(Item.site).distinct()
    }
    return next((s for s in sites if s.id in with_things), sites[0])


def _get(model, object_id):
    row = get_object_or_404(model, model.id == object_id)
    require_manage(row.site_id if hasattr(row, "site_id") else row.resource.site_id)
    return row


def _daily(site, day):
    """Today's desk bookings, pickups and returns of a centre (a few queries)."""
    start, end = local_day_bounds(day)
    bookings = list(
        Booking.select(Booking, Resource, User)
        .join(Resource)
        .switch(Booking)
        .join(User)
        .where((Resource.site == site) & (Booking.day == day) & Booking.status.in_(["booked", "checked_in", "no_show"]))
        .order_by(Booking.starts_at, Resource.position, Resource.name)
    )
    pickups = list(
        Loan.select(Loan, User)
        .join(User)
        .where(
            (Loan.site == site)
            & (Loan.pickup_at >= start)
            & (Loan.pickup_at < end)
            & Loan.status.in_(["approved", "out"])
        )
        .order_by(Loan.pickup_at)
    )
    returns = list(
        Loan.select(Loan, User)
        .join(User)
        .where(
            (Loan.site == site)
            & (Loan.return_at >= start)
            & (Loan.return_at < end)
            & Loan.status.in_(["out", "returned"])
        )
        .order_by(Loan.return_at)
    )
    ids = [loan.id for loan in pickups + returns]
    lines = {}
    if ids:
        for li in LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan.in_(ids)):
            lines.setdefault(li.loan_id, []).append(li)
    return bookings, pickups, returns, lines


@bp.route("/staff/bookings")
@staff_required
def staff_desk():
    """The desk today: find a member by card code, desk bookings to check in, pickups and returns."""
    sites = _managed_sites()
    site = _site_arg(sites)
    code_form = MemberCodeForm(request.args)
    member, member_bookings, member_loans, no_shows = None, [], [], 0
    if request.args.get("code"):
        if code_form.validate():
            code = code_form.code.data.upper().replace(" ", "").replace("-", "")
            member = User.get_or_none(User.member_code == code)
            if member is None:
                code_form.code.errors.append(_("Nessuna persona con questo codice tessera."))
            else:
                site_ids = [s.id for s in sites]
                member_bookings = list(
                    Booking.select(Booking, Resource)
                    .join(Resource)
                    .where(
                        (Booking.user == member)
                        & Resource.site.in_(site_ids)
                        & (Booking.day >= today_local())
                        & (Booking.status == "booked")
                    )
                    .order_by(Booking.starts_at)
                    .limit(20)
                )
                member_loans = list(
                    Loan.select()
                    .where(
                        (Loan.user == member)
                        & Loan.site.in_(site_ids)
                        & Loan.status.in_(["requested", "approved", "out"])
                    )
                    .order_by(Loan.pickup_at)
                )
                no_shows = (
                    Booking.select()
                    .join(Resource)
                    .where((Booking.user == member) & (Booking.status == "no_show") & Resource.site.in_(site_ids))
                    .count()
                )
    day = today_local()
    bookings, pickups, returns, lines = _daily(site, day)
    pending = Loan.select().where((Loan.site == site) & (Loan.status == "requested")).count()
    overdue = Loan.select().where((Loan.site == site) & (Loan.status == "out") & (Loan.return_at < utcnow())).count()
    return render(
        "bookings/staff/desk.html",
        sites=sites,
        site=site,
        day=day,
        code_form=code_form,
        member=member,
        member_bookings=member_bookings,
        member_loans=member_loans,
        no_shows=no_shows,
        bookings=bookings,
        pickups=pickups,
        returns=returns,
        lines=lines,
        pending=pending,
        overdue=overdue,
        status=422 if code_form.code.errors else 200,
        book_form=SlotForm(formdata=None, day=today_local() + timedelta(days=1)),
    )


@bp.route("/staff/bookings/booking/<int:booking_id>/checkin", methods=["POST"])
@staff_required
def staff_booking_checkin(booking_id):
    """Record that the person arrived: the desk is not released."""
    booking = get_object_or_404(Booking, Booking.id == booking_id)
    require_manage(booking.resource.site_id)
    try:
        services.check_in_booking(booking, current_user)
        flash(_("Arrivo registrato: %(name)s.", name=booking.user.name if booking.user else "—"), "success")
    except BookingError as exc:
        flash(exc.message, "error")
    return redirect(url_for(".staff_desk", site=booking.resource.site.slug)), 303


@bp.route("/staff/bookings/booking/<int:booking_id>/cancel", methods=["POST"])
@staff_required
def staff_booking_cancel(booking_id):
    """Cancel a booking at the desk (no cut-off for staff)."""
    booking = get_object_or_404(Booking, Booking.id == booking_id)
    require_manage(booking.resource.site_id)
    try:
        services.cancel_booking(booking, by_staff=True)
        flash(_("Prenotazione annullata."), "success")
    except BookingError as exc:
        flash(exc.message, "error")
    return redirect(url_for(".staff_desk", site=booking.resource.site.slug)), 303


# --- loans ------------------------------------------------------------------------------------


@bp.route("/staff/bookings/requests")
@staff_required
def staff_requests():
    """Equipment requests waiting for a decision, oldest first."""
    sites = _managed_sites()
    site = _site_arg(sites)
    loans = list(
        Loan.select(Loan, User)
        .join(User)
        .where((Loan.site == site) & (Loan.status == "requested"))
        .order_by(Loan.pickup_at)
        .limit(200)
    )
    upcoming = list(
        Loan.select(Loan, User)
        .join(User)
        .where((Loan.site == site) & (Loan.status == "approved"))
        .order_by(Loan.pickup_at)
        .limit(200)
    )
    lines = _lines([loan.id for loan in loans + upcoming])
    return render("bookings/staff/requests.html", sites=sites, site=site, loans=loans, upcoming=upcoming, lines=lines)


def _lines(loan_ids):
    lines = {}
    if loan_ids:
        for li in LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan.in_(loan_ids)):
            lines.setdefault(li.loan_id, []).append(li)
    return lines


def _loan_page(loan, status=200, **forms):
    lines = list(LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan == loan.id).order_by(Item.name))
    checkout = forms.get("checkout") or CheckOutForm(formdata=None, deposit=sum(li.item.deposit for li in lines))
    checkout.items.choices = [(li.item_id, li.item.name) for li in lines]
    open_lines = [li for li in lines if li.returned_at is None]
    checkin = forms.get("checkin") or CheckInForm(formdata=None, deposit_returned=loan.deposit_taken)
    checkin.items.choices = [(li.item_id, li.item.name) for li in open_lines]
    checkin.damaged.choices = [(li.item_id, li.item.name) for li in open_lines]
    today = today_local()
    movable = loan.status in ("requested", "approved")
    picked = picked_days() if request.method == "GET" and movable else {}
    move = forms.get("move") or MoveLoanForm(formdata=None, **_loan_dates(loan, picked))
    weeks, start, end = [], None, None
    if movable:
        # The loan's items, with its own days counted free: where staff can move it.
        first = today - timedelta(days=today.weekday())
        weeks, start, end = services.calendar_days(
            loan.site,
            [li.item for li in lines],
            first,
            today + timedelta(days=CALENDAR_DAYS),
            services.overdue_item_ids([li.item_id for li in lines]),
            start=picked.get("pickup_day"),
            end=picked.get("return_day"),
            exclude_loan=loan.id,
        )

    def pick_url(anchor, **args):
        return url_for(".staff_loan", loan_id=loan.id, **args, _anchor=anchor)

    return render(
        "bookings/staff/loan.html",
        status=status,
        loan=loan,
        lines=lines,
        open_lines=open_lines,
        decision=forms.get("decision") or DecisionForm(formdata=None),
        checkout=checkout,
        checkin=checkin,
        move=move,
        weeks=weeks,
        chosen_start=start,
        chosen_end=end,
        pick_url=pick_url,
        today=today,
        early=local_date(loan.pickup_at) > today,
        alternatives=pick_offers(forms.get("conflict"), move, pick_url, "sposta"),
        error=forms.get("error"),
        move_error=forms.get("move_error"),
    )


def _loan_dates(loan, picked):
    """The move form's values: the days picked on the calendar, else the loan's own dates and times."""
    pickup, back = to_local(loan.pickup_at), to_local(loan.return_at)
    values = dict(pickup_day=pickup.date(), pickup_time=pickup.time(), return_day=back.date(), return_time=back.time())
    values.update(picked)
    return values


@bp.route("/staff/bookings/loans/<int:loan_id>")
@staff_required
def staff_loan(loan_id):
    """One loan: decide, check out, check in, print the receipt."""
    return _loan_page(_get(Loan, loan_id))


def _flash_told(mailed, user):
    if mailed:
        flash(_("Fatto. Abbiamo scritto alla persona."), "success")
    else:
        flash(
            _("Fatto. La persona non ha e-mail: telefonale al %(phone)s.", phone=(user.phone if user else None) or "—"),
            "warning",
        )


@bp.route("/staff/bookings/loans/<int:loan_id>/decide", methods=["POST"])
@staff_required
def staff_loan_decide(loan_id):
    """Approve or decline a request, with a message for the person."""
    loan = _get(Loan, loan_id)
    form = DecisionForm()
    if not form.validate():
        return _loan_page(loan, status=422, decision=form)
    approve = request.form.get("decision") == "approve"
    try:
        mailed = services.decide_loan(loan, current_user, approve, form.message.data or "")
    except BookingError as exc:
        return _loan_page(loan, status=exc.status, decision=form, error=exc.message)
    _flash_told(mailed, loan.user)
    return redirect(url_for(".staff_loan", loan_id=loan.id)), 303


@bp.route("/staff/bookings/loans/<int:loan_id>/cancel", methods=["POST"])
@staff_required
def staff_loan_cancel(loan_id):
    """Cancel an approved loan that will not be collected (the items are freed)."""
    loan = _get(Loan, loan_id)
    try:
        services.cancel_loan(loan, by_staff=True)
    except BookingError as exc:
        return _loan_page(loan, status=exc.status, error=exc.message)
    flash(_("Prestito annullato: gli oggetti sono di nuovo prenotabili."), "success")
    return redirect(url_for(".staff_loan", loan_id=loan.id)), 303


@bp.route("/staff/bookings/loans/<int:loan_id>/move", methods=["POST"])
@staff_required
def staff_loan_move(loan_id):
    """Move a pending or approved loan to other dates (same rules as a request); the person is told."""
    loan = _get(Loan, loan_id)
    form = MoveLoanForm()
    if not form.validate():
        return _loan_page(loan, status=422, move=form)
    try:
        mailed = services.move_loan(
            loan, current_user, form.pickup_day.data, form.pickup_time.data, form.return_day.data, form.return_time.data
        )
    except BookingError as exc:
        conflict = exc if isinstance(exc, services.LoanConflict) else None
        return _loan_page(loan, status=exc.status, move=form, move_error=exc.message, conflict=conflict)
    _flash_told(mailed, loan.user)
    return redirect(url_for(".staff_loan", loan_id=loan.id)), 303


@bp.route("/staff/bookings/members/<int:member_id>/book", methods=["POST"])
@staff_required
def staff_book_for_member(member_id):
    """Book a desk or room for someone who phoned or came to the desk (same rules as online)."""
    member = get_object_or_404(User, User.id == member_id)
    sites = _managed_sites()
    site = _site_arg(sites)
    require_manage(site.id)
    form = SlotForm()
    if not form.validate():
        flash(" ".join(str(e) for errors in form.errors.values() for e in errors), "error")
    else:
        try:
            booking = services.book_slot(member, site, form.kind.data, form.day.data, form.slot.data)
        except BookingError as exc:
            flash(exc.message, "error")
        else:
            flash(
                _("Prenotato per %(name)s: %(resource)s.", name=member.name, resource=booking.resource.name), "success"
            )
    return redirect(url_for(".staff_desk", site=site.slug, code=member.member_code)), 303


@bp.route("/staff/bookings/loans/<int:loan_id>/checkout", methods=["POST"])
@staff_required
def staff_loan_checkout(loan_id):
    """Hand the items over: checklist and deposit."""
    loan = _get(Loan, loan_id)
    form = CheckOutForm()
    form.items.choices = [(li.item_id, li.item.name) for li in loan.loan_items]
    if not form.validate():
        return _loan_page(loan, status=422, checkout=form)
    try:
        services.check_out_loan(
            loan, current_user, set(form.items.data or []), form.deposit.data, early=form.early.data == "1"
        )
    except BookingError as exc:
        return _loan_page(loan, status=exc.status, checkout=form, error=exc.message)
    flash(_("Consegna registrata. Stampa la ricevuta e falla firmare."), "success")
    return redirect(url_for(".staff_loan", loan_id=loan.id)), 303


@bp.route("/staff/bookings/loans/<int:loan_id>/checkin", methods=["POST"])
@staff_required
def staff_loan_checkin(loan_id):
    """Take items back: checklist, condition notes, damage, deposit returned."""
    loan = _get(Loan, loan_id)
    form = CheckInForm()
    open_lines = [li for li in loan.loan_items if li.returned_at is None]
    form.items.choices = [(li.item_id, li.item.name) for li in open_lines]
    form.damaged.choices = form.items.choices
    if not form.validate():
        return _loan_page(loan, status=422, checkin=form)
    notes = {li.item_id: request.form.get(f"note-{li.item_id}", "") for li in open_lines}
    try:
        still_out = services.check_in_loan(
            loan,
            current_user,
            set(form.items.data or []),
            notes,
            set(form.damaged.data or []),
            form.deposit_returned.data,
        )
    except BookingError as exc:
        return _loan_page(loan, status=exc.status, checkin=form, error=exc.message)
    if still_out:
        flash(
            ngettext(
                "Restituzione parziale: %(num)d oggetto è ancora fuori.",
                "Restituzione parziale: %(num)d oggetti sono ancora fuori.",
                still_out,
            ),
            "warning",
        )
    else:
        flash(_("Restituzione registrata."), "success")
    return redirect(url_for(".staff_loan", loan_id=loan.id)), 303


@bp.route("/staff/bookings/loans/<int:loan_id>/remind", methods=["POST"])
@staff_required
def staff_loan_remind(loan_id):
    """Remind the borrower of an overdue loan by e-mail (or tell staff whom to phone)."""
    loan = _get(Loan, loan_id)
    try:
        mailed = services.remind_overdue(loan)
    except BookingError as exc:
        flash(exc.message, "info")
        return redirect(url_for(".staff_overdue")), 303
    if mailed:
        flash(_("Promemoria inviato a %(name)s.", name=loan.user.name), "success")
    else:
        _flash_told(False, loan.user)
    return redirect(url_for(".staff_overdue")), 303


@bp.route("/staff/bookings/loans/<int:loan_id>/receipt.pdf")
@staff_required
def staff_loan_receipt(loan_id):
    """The loan receipt: items, dates, deposit, two signature lines."""
    loan = _get(Loan, loan_id)
    lines = list(LoanItem.select(LoanItem, Item).join(Item).where(LoanItem.loan == loan.id).order_by(Item.name))
    data = render_pdf("bookings/receipt_pdf.html", loan=loan, lines=lines, now=utcnow())
    return pdf_response(data, f"ricevuta-prestito-{loan.id}.pdf")


@bp.route("/staff/bookings/overdue")
@staff_required
def staff_overdue():
    """Loans not returned on time, with whom to call and what is still out."""
    sites = _managed_sites()
    site_ids = [s.id for s in sites]
    loans = (
        list(
            Loan.select(Loan, User, Site)
            .join(User)
            .switch(Loan)
            .join(Site)
            .where(Loan.site.in_(site_ids) & (Loan.status == "out") & (Loan.return_at < utcnow()))
            .order_by(Loan.return_at)
            .limit(500)
        )
        if site_ids
        else []
    )
    lines = _lines([loan.id for loan in loans])
    # Later loans of the same items that the late return puts at risk.
    item_ids = {li.item_id for ls in lines.values() for li in ls if li.returned_at is None}
    at_risk = {}
    if item_ids:
        for li in (
            LoanItem.select(LoanItem, Loan)
            .join(Loan)
            .where(LoanItem.item.in_(list(item_ids)) & Loan.status.in_(["requested", "approved"]))
            .order_by(Loan.pickup_at)
        ):
            at_risk.setdefault(li.item_id, li.loan)
    return render("bookings/staff/overdue.html", loans=loans, lines=lines, at_risk=at_risk, now=utcnow())


@bp.route("/staff/bookings/phone")
@staff_required
def staff_phone():
    """Lending's people to phone: now the one staff phone list, filtered (permanent redirect)."""
    return redirect(url_for("phone.page", area="bookings"), 301)


@bp.route("/staff/bookings/loans/<int:loan_id>/phoned", methods=["POST"])
@staff_required
def staff_loan_phoned(loan_id):
    """Record that the borrower was phoned (who and when)."""
    loan = _get(Loan, loan_id)
    try:
        services.record_phone_call(loan, current_user)
        flash(_("Telefonata registrata."), "success")
    except BookingError as exc:
        flash(exc.message, "error")
    return redirect(url_for(".staff_phone")), 303


@bp.route("/staff/bookings/daily.pdf")
@staff_required
def staff_daily_sheet():
    """The desk's daily sheet: today's pickups, returns and desk bookings."""
    sites = _managed_sites()
    site = _site_arg(sites)
    day = today_local()
    if request.args.get("day"):
        day = day_from(request.args["day"])  # not a day, or beyond a century from today: 400 with a message
    bookings, pickups, returns, lines = _daily(site, day)
    data = render_pdf(
        "bookings/daily_pdf.html",
        site=site,
        day=day,
        bookings=bookings,
        pickups=pickups,
        returns=returns,
        lines=lines,
        now=utcnow(),
    )
    return pdf_response(data, f"foglio-{site.slug}-{day.isoformat()}.pdf")


# --- resources, items, kits, policies ----------------------------------------------------------


@bp.route("/staff/bookings/resources")
@staff_required
def staff_resources():
    """Desks, rooms, items and kits of my centres."""
    sites = _managed_sites()
    site = _site_arg(sites)
    return render(
        "bookings/staff/resources.html",
        sites=sites,
        site=site,
        resources=list(
            Resource.select().where(Resource.site == site).order_by(Resource.kind, Resource.position, Resource.name)
        ),
        items=list(Item.select().where(Item.site == site).order_by(Item.position, Item.name)),
        kits=list(Kit.select().where(Kit.site == site).order_by(Kit.position, Kit.name)),
        contents=services.kit_items([k.id for k in Kit.select(Kit.id).where(Kit.site == site)]),
    )


def _site_choices(form):
    form.site.choices = [(s.id, s.name) for s in _managed_sites()]


@bp.route("/staff/bookings/resources/new", methods=["GET", "POST"])
@bp.route("/staff/bookings/resources/<int:resource_id>", methods=["GET", "POST"])
@staff_required
def staff_resource_edit(resource_id=None):
    """Add or change a desk or a room."""
    resource = _get(Resource, resource_id) if resource_id else None
    form = (
        ResourceForm(obj=resource)
        if request.method == "POST" or resource is None
        else ResourceForm(formdata=None, obj=resource, site=resource.site_id)
    )
    _site_choices(form)
    if request.method == "POST":
        if form.validate():
            require_manage(form.site.data)
            resource = resource or Resource()
            form.populate_obj(resource)
            resource.description = resource.description or ""
            resource.save()
            flash(_("Salvato."), "success")
            return redirect(url_for(".staff_resources", site=Site.get_by_id(form.site.data).slug)), 303
        return render("bookings/staff/edit.html", form=form, title=_("Postazione o sala"), status=422)
    return render("bookings/staff/edit.html", form=form, title=_("Postazione o sala"))


@bp.route("/staff/bookings/items/new", methods=["GET", "POST"])
@bp.route("/staff/bookings/items/<int:item_id>", methods=["GET", "POST"])
@staff_required
def staff_item_edit(item_id=None):
    """Add or change an item: description, condition, maintenance, deposit, photo."""
    item = _get(Item, item_id) if item_id else None
    form = (
        ItemForm()
        if request.method == "POST"
        else ItemForm(formdata=None, obj=item, site=item.site_id if item else None)
    )
    _site_choices(form)
    if request.method == "POST":
        if form.validate():
            require_manage(form.site.data)
            fields = {name: getattr(form, name).data for name in services.ITEM_FIELDS}
            try:
                item = services.save_item(item, form.site.data, fields, photo=form.photo.data)
            except BookingError as exc:
                getattr(form, exc.field or "photo").errors.append(exc.message)
            else:
                flash(_("Salvato."), "success")
                return redirect(url_for(".staff_resources", site=Site.get_by_id(form.site.data).slug)), 303
        return render("bookings/staff/edit.html", form=form, title=_item_title(), item=item, status=422, multipart=True)
    return render("bookings/staff/edit.html", form=form, title=_item_title(), item=item, multipart=True)


def _item_title():
    """The equipment form's title ("Oggetto" as a thing lent, not an e-mail subject)."""
    return pgettext("equipment", "Oggetto")


@bp.route("/staff/bookings/kits/new", methods=["GET", "POST"])
@bp.route("/staff/bookings/kits/<int:kit_id>", methods=["GET", "POST"])
@staff_required
def staff_kit_edit(kit_id=None):
    """Add or change a kit and the items it contains."""
    kit = _get(Kit, kit_id) if kit_id else None
    sites = _managed_sites()
    current = [link.item_id for link in kit.kit_items] if kit else []
    form = (
        KitForm()
        if request.method == "POST"
        else KitForm(formdata=None, obj=kit, items=current, site=kit.site_id if kit else None)
    )
    _site_choices(form)
    site_ids = [kit.site_id] if kit else [s.id for s in sites]
    form.items.choices = [
        (i.id, f"{i.name} ({i.site.short_name})")
        for i in Item.select(Item, Site).join(Site).where(Item.site.in_(site_ids)).order_by(Item.name)
    ]
    if request.method == "POST":
        if form.validate():
            require_manage(form.site.data)
            try:
                kit = services.save_kit(
                    kit,
                    form.site.data,
                    name=form.name.data,
                    description=form.description.data or "",
                    active=form.active.data,
                    item_ids=form.items.data or [],
                    photo=form.photo.data,
                )
            except BookingError as exc:
                getattr(form, exc.field or "items").errors.append(exc.message)
            else:
                flash(_("Salvato."), "success")
                return redirect(url_for(".staff_resources", site=Site.get_by_id(form.site.data).slug)), 303
        return render("bookings/staff/edit.html", form=form, title=_("Kit"), item=kit, status=422, multipart=True)
    return render("bookings/staff/edit.html", form=form, title=_("Kit"), item=kit, multipart=True)


KIND_LABELS = {KIND_DESK: _l("Postazioni"), KIND_ROOM: _l("Sale"), KIND_EQUIPMENT: _l("Attrezzatura audio-video")}


@bp.route("/staff/bookings/policies", methods=["GET", "POST"])
@staff_required
def staff_policies():
    """The booking rules of each kind of resource at a centre."""
    sites = _managed_sites()
    site = _site_arg(sites)
    require_manage(site.id)
    forms, status = {}, 200
    for kind in KINDS:
        policy = Policy.for_site(site, kind)
        if request.method == "POST" and request.form.get("kind") == kind:
            form = PolicyForm(prefix=kind)
            if form.validate():
                with database().atomic():
                    form.populate_obj(policy)
                    policy.save()
                flash(_("Regole salvate."), "success")
                return redirect(url_for(".staff_policies", site=site.slug)), 303
            status = 422
        else:
            form = PolicyForm(formdata=None, obj=policy, prefix=kind)
        forms[kind] = form
    return render(
        "bookings/staff/policies.html", sites=sites, site=site, forms=forms, status=status, kind_labels=KIND_LABELS
    )
