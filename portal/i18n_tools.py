"""Keep the translation catalogues in step with the code.

Italian is the source language (msgids are Italian); each catalogue holds the
other interface languages (config.LANGUAGES: en, ar, es, zh). The core
(portal/*.py, portal/templates/*) has portal/translations; each area package
portal/<area>/ has portal/<area>/translations for its code and its templates in
portal/templates/<area>/. All of them are merged into one domain at run time, so
one msgid (with one context) must mean one thing everywhere: where two areas
mean different things they use a context (`pgettext("library", "Prenota")`).

    python -m portal.i18n_tools update   # extract, then init or update each catalogue in every language
    python -m portal.i18n_tools update library   # only that catalogue ("core" for the core's)
    python -m portal.i18n_tools check    # exit 1 when a string lacks a translation, or two catalogues disagree
    python -m portal.i18n_tools dump ar library > todo.json   # untranslated msgids, to translate
    python -m portal.i18n_tools fill ar library done.json      # write translations into the catalogue
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po, write_po

from .config import DEFAULT_AREAS, LANGUAGES

ROOT = Path(__file__).resolve().parent
PROJECT = ROOT.parent
PYBABEL = str(Path(sys.executable).with_name("pybabel"))
TRANSLATED = [code for code in LANGUAGES if code != "it"]
CONTEXT_SEPARATOR = "\x04"  # gettext's: "context\x04msgid" in the JSON files of dump and fill


def catalogues():
    """(translations dir, [source dirs], ignored dir names) for the core and each present area."""
    present = [p.rsplit(".", 1)[-1] for p in DEFAULT_AREAS if (ROOT / p.rsplit(".", 1)[-1]).is_dir()]
    result = [(ROOT / "translations", [ROOT], present + ["translations", "static"])]
    for area in present:
        sources = [ROOT / area] + ([ROOT / "templates" / area] if (ROOT / "templates" / area).is_dir() else [])
        result.append((ROOT / area / "translations", sources, ["translations"]))
    return result


def catalogue_name(directory):
    return "core" if Path(directory).parent == ROOT else Path(directory).parent.name


def extract(sources, ignored, pot):
    """Run pybabel extract over `sources` into the template file `pot`."""
    args = [PYBABEL, "extract", "-F", str(PROJECT / "babel.cfg"), "-k", "_l", "-k", "lazy_gettext", "-k", "phrase"]
    args += [
        "-k",
        "lazy_pgettext:1c,2",
        "-k",
        "lazy_ngettext:1,2",
        "-c",
        "Translators:",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
    ]
    for name in ignored:
        args += ["--ignore-dirs", name]
    subprocess.run(args + [str(s) for s in sources], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def po_path(directory, language):
    return Path(directory) / language / "LC_MESSAGES" / "messages.po"


def _key(message):
    msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
    return (message.context, msgid)


def _read(path):
    with open(path, "rb") as fh:
        return {_key(m): m for m in read_po(fh) if m.id}


def _translated(message):
    if message is None or message.fuzzy:
        return False
    strings = message.string
    return all(strings) if isinstance(strings, tuple | list) else bool(strings)


def _label(key):
    context, msgid = key
    return f"{context}|{msgid}" if context else msgid


def missing_translations(languages=None):
    """[(catalogue, language, msgid)] for strings in the code with no translation in a language."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (directory, sources, ignored) in enumerate(catalogues()):
            pot = Path(tmp) / f"{index}.pot"
            extract(sources, ignored, pot)
            wanted = _read(pot)
            for language in languages or TRANSLATED:
                path = po_path(directory, language)
                catalog = _read(path) if path.exists() else {}
                for key in wanted:
                    if not _translated(catalog.get(key)):
                        problems.append((str(directory.relative_to(PROJECT)), language, _label(key)))
    return problems


def collisions(languages=None):
    """[(language, msgid, {catalogue: translation})] where catalogues translate one msgid differently.

    The catalogues are merged into one domain, so only one of the translations would ever show.
    """
    found = []
    for language in languages or TRANSLATED:
        seen = {}
        for directory, _sources, _ignored in catalogues():
            path = po_path(directory, language)
            if not path.exists():
                continue
            for key, message in _read(path).items():
                if _translated(message):
                    string = message.string if isinstance(message.string, str) else tuple(message.string)
                    seen.setdefault(key, {})[catalogue_name(directory)] = string
        for key, by_catalogue in sorted(seen.items(), key=lambda item: (item[0][0] or "", item[0][1])):
            if len(set(by_catalogue.values())) > 1:
                found.append((language, _label(key), by_catalogue))
    return found


def format_errors(languages=None):
    """[(catalogue, language, msgid, error)]: placeholders that differ between msgid and translation."""
    errors = []
    for directory, _sources, _ignored in catalogues():
        for language in languages or TRANSLATED:
            path = po_path(directory, language)
            if not path.exists():
                continue
            with open(path, "rb") as fh:
                catalog = read_po(fh)
            for message, problems in catalog.check():
                for problem in problems:
                    errors.append((catalogue_name(directory), language, _label(_key(message)), str(problem)))
    return errors


def update(only=(), languages=None):
    """Extract each catalogue's strings and merge them into its messages.po, in every language.

    `only` names catalogues to update ("core", "events", …); empty means all.
    """
    for directory, sources, ignored in catalogues():
        if only and catalogue_name(directory) not in only:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        pot = directory / "messages.pot"
        extract(sources, ignored, pot)
        for language in languages or TRANSLATED:
            po = po_path(directory, language)
            verb = "update" if po.exists() else "init"
            extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
            command = [PYBABEL, verb, "-i", str(pot), "-d", str(directory), "-l", language, *extra]
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
            print(f"{'created' if verb == 'init' else 'updated'} {po.relative_to(PROJECT)}")
        pot.unlink()


def _directory(name):
    for directory, _sources, _ignored in catalogues():
        if catalogue_name(directory) == name:
            return directory
    raise SystemExit(f"no catalogue {name!r}")


def dump(language, name):
    """{msgid: "" or [plural forms]} of the strings a catalogue lacks in `language` (context\\x04msgid)."""
    with open(po_path(_directory(name), language), "rb") as fh:
        catalog = read_po(fh)
    todo = {}
    for message in catalog:
        if message.id and not _translated(message):
            context, msgid = _key(message)
            key = f"{context}{CONTEXT_SEPARATOR}{msgid}" if context else msgid
            todo[key] = [message.id[1]] + [""] * (catalog.num_plurals - 1) if message.pluralizable else ""
    return todo


def fill(language, name, translations):
    """Write `translations` ({msgid or context\\x04msgid: text or [plural forms]}) into a catalogue."""
    path = po_path(_directory(name), language)
    with open(path, "rb") as fh:
        catalog = read_po(fh)
    count = 0
    for key, text in translations.items():
        context, _sep, msgid = key.rpartition(CONTEXT_SEPARATOR)
        message = next((m for m in catalog if m.id and _key(m) == (context or None, msgid)), None)
        if message is None or not text:
            continue
        if message.pluralizable:
            forms = list(text) if isinstance(text, list) else [text]
            forms += [forms[-1]] * (catalog.num_plurals - len(forms))
            message.string = tuple(forms[: catalog.num_plurals])
        else:
            message.string = text if isinstance(text, str) else text[0]
        message.flags.discard("fuzzy")
        count += 1
    with open(path, "wb") as fh:
        write_po(fh, catalog, sort_output=True, ignore_obsolete=True)
    return count


def main(argv):
    command = argv[0] if argv else "check"
    if command == "update":
        update(argv[1:])
        return 0
    if command == "dump":
        json.dump(dump(argv[1], argv[2]), sys.stdout, ensure_ascii=False, indent=1)
        return 0
    if command == "fill":
        with open(argv[3], encoding="utf-8") as fh:
            print(f"{fill(argv[1], argv[2], json.load(fh))} strings written")
        return 0
    missing = missing_translations()
    for catalogue, language, msgid in missing:
        print(f"{catalogue} [{language}]: {msgid!r}")
    clashes = collisions()
    for language, msgid, by_catalogue in clashes:
        print(f"collision [{language}] {msgid!r}: {by_catalogue}")
    errors = format_errors()
    for catalogue, language, msgid, error in errors:
        print(f"{catalogue} [{language}] {msgid!r}: {error}")
    return 1 if missing or clashes or errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
