"""CSV catalogue import: parse and check every row first (preview, per-row errors),
then write everything in one transaction or nothing at all."""

import csv
import io
import re

from flask_babel import gettext as _
from peewee import IntegrityError

from portal.db import database
from portal.refusals import Refusal

from .isbn import normalise_isbn
from .models import AGE_GROUPS, LANGUAGES, Copy, Title

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000
# Column names people may use (Italian first, English accepted) -> our field.
COLUMNS = {
    "titolo": "title",
    "title": "title",
    "autori": "authors",
    "autore": "authors",
    "authors": "authors",
    "author": "authors",
    "isbn": "isbn",
    "lingua": "language",
    "language": "language",
    "eta": "age_group",
    "età": "age_group",
    "age": "age_group",
    "age_group": "age_group",
    "soggetti": "subjects",
    "soggetto": "subjects",
    "subjects": "subjects",
    "editore": "publisher",
    "publisher": "publisher",
    "anno": "year",
    "year": "year",
    "copie": "barcodes",
    "codici": "barcodes",
    "barcodes": "barcodes",
    "barcode": "barcodes",
    "collocazione": "shelf_mark",
    "shelf_mark": "shelf_mark",
}
LANGUAGE_WORDS = {
    "italiano": "it",
    "italian": "it",
    "inglese": "en",
    "english": "en",
    "arabo": "ar",
    "arabic": "ar",
    "spagnolo": "es",
    "spanish": "es",
    "español": "es",
    "cinese": "zh",
    "chinese": "zh",
    "中文": "zh",
    "العربية": "ar",
    "francese": "fr",
    "french": "fr",
    "altro": "other",
    "other": "other",
}
AGE_WORDS = {
    "bambini": "children",
    "children": "children",
    "ragazzi": "teens",
    "teens": "teens",
    "adulti": "adults",
    "adults": "adults",
    "": "adults",
}


class ImportRefused(Refusal):
    """The whole file is unusable (encoding, columns, size): one message, shown by the file field."""

    def __init__(self, message, status=422):
        super().__init__(message, status=status, field="file")


def parse(data, library):
    """Check a CSV file. Returns (rows, errors): rows are dicts ready to import;
    errors are (line number, message). Raises ImportRefused for a file-level problem."""
    if len(data) > MAX_BYTES:
        raise ImportRefused(_("Il file è troppo grande (massimo 2 MB, circa %(rows)d righe).", rows=MAX_ROWS))
    if not data.strip():
        raise ImportRefused(_("Il file è vuoto."))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(_("Il file non è in UTF-8. Dal foglio di calcolo salvalo come «CSV UTF-8»."))
    if "\x00" in text:
        raise ImportRefused(_("Questo non sembra un file CSV di testo."))
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ImportRefused(_("Il file non ha una riga di intestazione."))
    fields = [COLUMNS.get(h.strip().lower()) for h in header]
    unknown = [h for h, f in zip(header, fields, strict=False) if f is None and h.strip()]
    if "title" not in fields or "language" not in fields or unknown:
        raise ImportRefused(
            _(
                "Colonne non riconosciute. Servono almeno «titolo» e «lingua»; colonne possibili: "
                "titolo, autori, isbn, lingua, eta, soggetti, editore, anno, copie, collocazione."
            )
            + (" " + _("Sconosciute: %(names)s.", names=", ".join(unknown[:5])) if unknown else "")
        )
    existing_isbn = {
        isbn: tid
        for tid, isbn in Title.select(Title.id, Title.isbn)
        .where((Title.library == library) & Title.isbn.is_null(False))
        .tuples()
    }
    rows, errors, seen_isbn, seen_codes = [], [], {}, {}
    try:
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(rows) + len(errors) >= MAX_ROWS:
                raise ImportRefused(_("Troppe righe: al massimo %(rows)d per file.", rows=MAX_ROWS))
            if len(values) != len(header):
                errors.append(
                    (number, _("La riga ha %(got)d colonne invece di %(want)d.", got=len(values), want=len(header)))
                )
                continue
            row, problems = _row(dict((f, v.strip()) for f, v in zip(fields, values, strict=False) if f), existing_isbn)
            for code in row.get("barcodes", []):
                if code in seen_codes:
                    problems.append(_("Il codice %(code)s è già alla riga %(line)d.", code=code, line=seen_codes[code]))
                seen_codes.setdefault(code, number)
            if row.get("isbn") and not row.get("existing"):
                if row["isbn"] in seen_isbn:
                    problems.append(_("ISBN già alla riga %(line)d.", line=seen_isbn[row["isbn"]]))
                seen_isbn.setdefault(row["isbn"], number)
            if problems:
                errors.append((number, " ".join(problems)))
            else:
                row["line"] = number
                rows.append(row)
    except csv.Error:
        raise ImportRefused(_("Il file CSV è malformato (virgolette non chiuse?)."))
    codes = list(seen_codes)
    taken = set()
    for start in range(0, len(codes), 500):
        taken.update(
            b for (b,) in Copy.select(Copy.barcode).where(Copy.barcode.in_(codes[start : start + 500])).tuples()
        )
    if taken:
        for row in rows[:]:
            clash = [c for c in row["barcodes"] if c in taken]
            if clash:
                errors.append((row["line"], _("Codici già usati: %(codes)s.", codes=", ".join(clash))))
                rows.remove(row)
    errors.sort()
    return rows, errors


def _row(raw, existing_isbn):
    problems = []
    row = {
        "title": raw.get("title", "")[:300],
        "authors": raw.get("authors", "")[:300],
        "subjects": raw.get("subjects", "")[:300],
        "publisher": raw.get("publisher", "")[:160],
        "shelf_mark": raw.get("shelf_mark", "")[:40],
    }
    if not row["title"]:
        problems.append(_("Manca il titolo."))
    language = raw.get("language", "").strip().lower()
    language = LANGUAGE_WORDS.get(language, language)
    if language not in LANGUAGES:
        problems.append(
            _("Lingua «%(value)s» non riconosciuta (it, en, ar, es, zh, fr, other).", value=raw.get("language", ""))
        )
    row["language"] = language
    age = AGE_WORDS.get(raw.get("age_group", "").strip().lower(), raw.get("age_group", "").strip().lower())
    if age not in AGE_GROUPS:
        problems.append(
            _("Età «%(value)s» non riconosciuta (bambini, ragazzi, adulti).", value=raw.get("age_group", ""))
        )
    row["age_group"] = age
    row["isbn"] = None
    if raw.get("isbn"):
        try:
            row["isbn"] = normalise_isbn(raw["isbn"])
        except ValueError:
            problems.append(_("ISBN «%(value)s» non valido.", value=raw["isbn"][:20]))
    row["existing"] = existing_isbn.get(row["isbn"]) if row["isbn"] else None
    row["year"] = None
    if raw.get("year"):
        if re.fullmatch(r"\d{4}", raw["year"]) and 1450 <= int(raw["year"]) <= 2100:
            row["year"] = int(raw["year"])
        else:
            problems.append(_("Anno «%(value)s» non valido.", value=raw["year"][:10]))
    codes = [c.upper() for c in re.split(r"[\s|,]+", raw.get("barcodes", "")) if c]
    bad = [c for c in codes if not re.fullmatch(r"[A-Z0-9\-]{3,32}", c)]
    if bad:
        problems.append(_("Codice a barre non valido: %(codes)s.", codes=", ".join(bad[:3])[:60]))
    row["barcodes"] = codes
    return row, problems


def import_rows(rows, library):
    """Write every row (titles and copies) in one transaction. Returns (titles, copies)."""
    titles = copies = 0
    with database().atomic():
        for row in rows:
            if row["existing"]:
                title = Title.get_by_id(row["existing"])
            else:
                title = Title(
                    library=library,
                    title=row["title"],
                    authors=row["authors"],
                    isbn=row["isbn"],
                    language=row["language"],
                    age_group=row["age_group"],
                    subjects=row["subjects"],
                    publisher=row["publisher"],
                    year=row["year"],
                )
                title.save()
                titles += 1
            for code in row["barcodes"]:
                Copy.create(title=title, barcode=code, shelf_mark=row["shelf_mark"])
                copies += 1
    return titles, copies


def preview(data, filename, library):
    """Step 1: check an uploaded file. Returns (rows, errors) as `parse`; refuses a missing or empty file."""
    if not filename:
        raise ImportRefused(_("Scegli un file CSV."))
    rows, errors = parse(data, library)
    if not rows and not errors:
        raise ImportRefused(_("Il file non contiene righe da importare."))
    return rows, errors


def confirm(data, library):
    """Step 2: check the previewed file again and write it all, or nothing. Returns (titles, copies)."""
    try:
        rows, errors = parse(data, library)
    except ImportRefused as exc:  # the file was fine at the preview: something changed since
        raise ImportRefused(exc.message, status=409) from None
    if errors:
        raise ImportRefused(_("Il catalogo è cambiato dopo l'anteprima: carica di nuovo il file."), status=409)
    try:
        return import_rows(rows, library)
    except IntegrityError:
        raise ImportRefused(
            _("Un codice a barre è stato usato nel frattempo: niente è stato importato."), status=409
        ) from None
