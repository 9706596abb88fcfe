"""Volunteer documents: the roster as a spreadsheet (CSV), and the certificate of hours (PDF)."""

from flask_babel import format_date, format_time
from flask_babel import gettext as _

from portal import csvout
from portal.clock import today_local, utcnow
from portal.models import Site
from portal.pdf import pdf_response, render_pdf

from .models import ACTIVE, CANCELLED, WAITLIST, Opportunity, Shift, Signup


def roster_rows(shift_ids):
    """Live sign-ups of these shifts, by shift, with shift and opportunity (one query)."""
    return list(
        Signup.select(Signup, Shift, Opportunity)
        .join(Shift)
        .join(Opportunity)
        .where(Signup.shift.in_(shift_ids) & Signup.status.in_([ACTIVE, WAITLIST]))
        .order_by(Shift.starts_at, Shift.id, Signup.status, Signup.name)
    )


def roster_table(rows):
    """The roster rows for a CSV, with a header line (in the reader's language)."""
    yield [
        _("Data"),
        _("Inizio"),
        _("Fine"),
        _("Attività"),
        _("Nome"),
        _("Persone"),
        _("Accompagnatori"),
        _("Cellulare"),
        _("E-mail"),
        _("Stato"),
        _("Confermata"),
        _("Presente"),
    ]
    for s in rows:
        sh = s.shift
        yield [
            format_date(sh.starts_at, "dd/MM/y"),
            format_time(sh.starts_at, "HH:mm"),
            format_time(sh.ends_at, "HH:mm"),
            sh.opportunity.title,
            s.name,
            s.party,
            s.companions,
            s.phone,
            s.email,
            _("lista d'attesa") if s.status == WAITLIST else (_("sul posto") if s.walk_in else _("iscritta/o")),
            _("sì") if s.confirmed else _("no"),
            "" if s.attended is None else (_("sì") if s.attended else _("no")),
        ]


def csv_response(rows, filename):
    """A CSV download of the roster rows (csvout: Excel's dialect, no formulas)."""
    return csvout.response(roster_table(rows), filename)


def served_rows(user_id):
    """A person's attended shifts, oldest first, with shift, opportunity and centre (one query)."""
    return list(
        Signup.select(Signup, Shift, Opportunity, Site)
        .join(Shift)
        .join(Opportunity)
        .join(Site)
        .where((Signup.user == user_id) & (Signup.status != CANCELLED) & (Signup.attended == True))  # noqa: E712
        .order_by(Shift.starts_at)
    )


def certificate_response(person, rows):
    """The certificate of volunteer hours (PDF) of a person's attended shifts."""
    minutes = sum(s.minutes_served for s in rows)
    now = utcnow()
    data = render_pdf(
        "volunteer/certificate_pdf.html",
        person=person,
        rows=rows,
        hours=minutes / 60,
        today=today_local(),
        today_text=format_date(now, "d MMMM y"),
        sites=sorted({s.shift.opportunity.site.name for s in rows}),
    )
    return pdf_response(data, f"certificato-volontariato-{person.member_code}.pdf")
