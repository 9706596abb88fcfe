"""The calendar's mail texts. Each goes out in the recipient's language."""

from __future__ import annotations

from flask import has_request_context
from flask_babel import force_locale, format_datetime, get_locale
from flask_babel import gettext as _

from portal.mail import send_mail
from portal.urls import external_url

from .models import Event, Registration
from .tokens import cancel_link


def request_language() -> str:
    """The language of the person making the request (Italian outside a request)."""
    return str(get_locale() or "it") if has_request_context() else "it"


def language_of(reg: Registration) -> str:
    """The account's language, else the one the person registered in."""
    if reg.user_id and reg.user and reg.user.language:
        return reg.user.language
    return reg.language or "it"


def _event_words(event: Event) -> tuple[str, str]:
    when = format_datetime(event.starts_at, "EEEE d MMMM y, HH:mm")
    return when, f"{event.site.name}, {event.site.full_address}"


def _send(reg: Registration, subject: str, body: str) -> None:
    send_mail(
        reg.email,
        subject,
        body,
        user=reg.user if reg.user_id else None,
        site=reg.event.site_id,
        language=language_of(reg),
    )


def notify_promoted(reg: Registration) -> None:
    """Tell the person promoted from the waitlist (people without e-mail are on the phone list)."""
    if not reg.email:
        return
    if reg.confirm_by is not None:  # an address nobody has proved yet: only fixed text goes there
        notify_guest_confirm(reg)
        return
    event = reg.event
    with force_locale(language_of(reg)):
        when, where = _event_words(event)
        link = external_url("events.event_page", event_id=event.id)
        body = _(
            "Ciao %(name)s,\n\nsi è liberato un posto: sei iscritta/o a «%(title)s», %(when)s, %(where)s.\n\n"
            "Se non puoi più venire, annulla qui così il posto passa a un'altra persona:\n%(cancel)s\n\n"
            "Evento: %(link)s\n\nBinari – Kaleidoscopi Metropolitani",
            name=reg.name,
            title=event.title,
            when=when,
            where=where,
            cancel=cancel_link(reg),
            link=link,
        )
        _send(reg, _("Binari: hai un posto per «%(title)s»", title=event.title), body)


def notify_registered(reg: Registration) -> None:
    """Confirmation mail with the cancellation link (only where there is an address)."""
    if not reg.email:
        return
    event = reg.event
    with force_locale(language_of(reg)):
        when, where = _event_words(event)
        if reg.status == "confirmed":
            head = _("la tua iscrizione a «%(title)s» è confermata.", title=event.title)
        else:
            head = _(
                "l'evento «%(title)s» è al completo: sei in lista d'attesa. Se si libera un posto ti scriviamo.",
                title=event.title,
            )
        body = _(
            "Ciao %(name)s,\n\n%(head)s\n\nQuando: %(when)s\nDove: %(where)s\n\n"
            "Per annullare: %(cancel)s\n\nBinari – Kaleidoscopi Metropolitani",
            name=reg.name,
            head=head,
            when=when,
            where=where,
            cancel=cancel_link(reg),
        )
        _send(reg, _("Binari: iscrizione a «%(title)s»", title=event.title), body)


def notify_guest_confirm(reg: Registration) -> None:
    """A guest's place to confirm: fixed text, the staff's event title and the link; never the guest's words.

    Anyone can type any address into the form, so nothing the requester wrote (name) goes in.
    """
    if not reg.email:
        return
    event = reg.event
    with force_locale(language_of(reg)):
        when, where = _event_words(event)
        if reg.status == "confirmed":
            head = _("C'è un posto per te a «%(title)s».", title=event.title)
        else:
            head = _("«%(title)s» è al completo: c'è un posto per te in lista d'attesa.", title=event.title)
        body = _(
            "Buongiorno,\n\nqualcuno ha chiesto un posto con questo indirizzo e-mail.\n%(head)s\n\n"
            "Quando: %(when)s\nDove: %(where)s\n\n"
            "Per confermare apri questo link entro le %(deadline)s e premi «Confermo»:\n%(link)s\n\n"
            "Se non confermi, il posto torna libero. Se non sei stata/o tu, ignora questo messaggio.\n\n"
            "Binari – Kaleidoscopi Metropolitani",
            head=head,
            when=when,
            where=where,
            deadline=format_datetime(reg.confirm_by, "HH:mm"),
            link=cancel_link(reg),
        )
        _send(reg, _("Binari: conferma il tuo posto per «%(title)s»", title=event.title), body)


def notify_guest_already_registered(event: Event, email: str) -> None:
    """Someone asked again for a place with an address already registered: say so by mail, not on the page."""
    with force_locale(request_language()):
        when, where = _event_words(event)
        body = _(
            "Buongiorno,\n\nqualcuno ha chiesto un posto per «%(title)s» (%(when)s, %(where)s) con questo "
            "indirizzo e-mail, che è già iscritto (o in lista d'attesa).\nNon serve fare altro: vale l'iscrizione "
            "che hai già, con il link del primo messaggio. Se non sei stata/o tu, ignora questo messaggio.\n\n"
            "Binari – Kaleidoscopi Metropolitani",
            title=event.title,
            when=when,
            where=where,
        )
        send_mail(email, _("Binari: sei già iscritta/o a «%(title)s»", title=event.title), body, site=event.site_id)


def notify_cancelled(reg: Registration, event: Event, reason: str) -> None:
    """The event is cancelled: tell a registered person who has an address."""
    if not reg.email:
        return
    with force_locale(language_of(reg)):
        when, _where = _event_words(event)
        body = _(
            "Ciao %(name)s,\n\nci dispiace: l'evento «%(title)s» di %(when)s è annullato.\n%(reason)s\n\n"
            "Binari – Kaleidoscopi Metropolitani",
            name=reg.name,
            title=event.title,
            when=when,
            reason=reason,
        )
        _send(reg, _("Binari: «%(title)s» è annullato", title=event.title), body)


def notify_changed(reg: Registration, event: Event) -> None:
    """The event's day, time or place changed: tell a registered person who has an address."""
    if not reg.email:
        return
    with force_locale(language_of(reg)):
        when, where = _event_words(event)
        body = _(
            "Ciao %(name)s,\n\nl'evento «%(title)s» è cambiato. Ora è: %(when)s, %(where)s.\n\n"
            "Se così non puoi venire, annulla qui così il posto passa a un'altra persona:\n%(cancel)s\n\n"
            "Binari – Kaleidoscopi Metropolitani",
            name=reg.name,
            title=event.title,
            when=when,
            where=where,
            cancel=cancel_link(reg),
        )
        _send(reg, _("Binari: «%(title)s» è cambiato", title=event.title), body)


def reminder_text(reg: Registration) -> tuple[str, str]:
    """The reminder the day before (subject, body), with the cancellation link; the caller sets the language."""
    when, where = _event_words(reg.event)
    body = _(
        "Ciao %(name)s,\n\nti ricordiamo «%(title)s»: %(when)s, %(where)s.\n\n"
        "Se non puoi venire, annulla qui così il posto passa a un'altra persona:\n%(cancel)s\n\n"
        "Binari – Kaleidoscopi Metropolitani",
        name=reg.name,
        title=reg.event.title,
        when=when,
        where=where,
        cancel=cancel_link(reg),
    )
    return _("Binari: promemoria per «%(title)s»", title=reg.event.title), body


def _tell_proposer(event: Event, subject_and_body) -> None:
    proposer = event.proposed_by
    if proposer is None or not proposer.email:
        return
    with force_locale(proposer.language or "it"):
        subject, body = subject_and_body()
        send_mail(proposer.email, subject, body, user=proposer, site=event.site_id)


def notify_proposal_approved(event: Event) -> None:
    """Tell the proposer (in their language) that the proposal is in the calendar."""
    _tell_proposer(
        event,
        lambda: (
            _("Binari: la tua proposta è stata accolta"),
            _(
                "La proposta «%(title)s» è nel calendario: %(link)s",
                title=event.title,
                link=external_url("events.event_page", event_id=event.id),
            ),
        ),
    )


def notify_proposal_rejected(event: Event, message: str) -> None:
    """Tell the proposer (in their language) why the proposal was not accepted."""
    _tell_proposer(
        event,
        lambda: (
            _("Binari: la tua proposta di evento"),
            _(
                "Grazie per la proposta «%(title)s». Questa volta non possiamo accoglierla:\n\n%(message)s",
                title=event.title,
                message=message,
            ),
        ),
    )


def _course_lines(result) -> str:
    """The dates of a whole-course request, one a line, each with what the person got."""
    lines = []
    for when, state in result.dates():
        words = {
            "confirmed": _("posto confermato"),
            "waitlist": _("in lista d'attesa"),
            "already": _("eri già iscritta/o"),
        }[state]
        lines.append(f"- {format_datetime(when, 'EEEE d MMMM y, HH:mm')}: {words}")
    return "\n".join(lines)


def notify_course_registered(result) -> None:
    """One mail for a whole course (a member, or staff registering someone): every date and its state."""
    reg = result.first_registration()
    if reg is None or not reg.email:
        return
    series = result.series
    with force_locale(language_of(reg)):
        body = _(
            "Ciao %(name)s,\n\nti sei iscritta/o a tutto il corso «%(title)s» (%(where)s). Le date:\n\n%(dates)s\n\n"
            "Se si libera un posto in una data in lista d'attesa ti scriviamo. Per vedere le date o annullare "
            "(una data o tutto il corso): %(link)s\n\nBinari – Kaleidoscopi Metropolitani",
            name=reg.name,
            title=series.title,
            where=f"{series.site.name}, {series.site.full_address}",
            dates=_course_lines(result),
            link=external_url("events.course", series_id=series.id),
        )
        send_mail(
            reg.email,
            _("Binari: iscrizione al corso «%(title)s»", title=series.title),
            body,
            user=reg.user if reg.user_id else None,
            site=series.site_id,
            language=language_of(reg),
        )


def notify_guest_course_confirm(result, email: str) -> None:
    """A guest's whole-course request: fixed text, the dates and one link to confirm (or cancel) them all.

    As for one date, nothing the requester wrote goes in: anyone can type any address."""
    from .tokens import course_link

    reg = result.first_registration()
    series = result.series
    with force_locale(request_language()):
        if reg is None:  # every date was already registered with this address
            body = _(
                "Buongiorno,\n\nqualcuno ha chiesto un posto a tutto il corso «%(title)s» con questo indirizzo "
                "e-mail, che è già iscritto (o in lista d'attesa) a tutte le date rimaste.\nNon serve fare altro. "
                "Se non sei stata/o tu, ignora questo messaggio.\n\nBinari – Kaleidoscopi Metropolitani",
                title=series.title,
            )
        else:
            body = _(
                "Buongiorno,\n\nqualcuno ha chiesto un posto a tutto il corso «%(title)s» (%(where)s) con questo "
                "indirizzo e-mail. Le date:\n\n%(dates)s\n\n"
                "Per confermare apri questo link entro le %(deadline)s e premi «Confermo»:\n%(link)s\n"
                "Dallo stesso link puoi annullare una data o tutto il corso.\n\n"
                "Se non confermi, i posti tornano liberi. Se non sei stata/o tu, ignora questo messaggio.\n\n"
                "Binari – Kaleidoscopi Metropolitani",
                title=series.title,
                where=f"{series.site.name}, {series.site.full_address}",
                dates=_course_lines(result),
                deadline=format_datetime(reg.confirm_by, "HH:mm"),
                link=course_link(result.key),
            )
        send_mail(email, _("Binari: conferma il corso «%(title)s»", title=series.title), body, site=series.site_id)
