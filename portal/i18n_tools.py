"""Keep the translation catalogues in step with the code.

Italian is the source language (msgids are Italian); each catalogue holds the
English. The core (portal/*.py, portal/templates/*) has portal/translations;
each area package portal/<area>/ has portal/<area>/translations for its code
and its templates in portal/templates/<area>/.

    python -m portal.i18n_tools update   # extract, then init or update each catalogue
    python -m portal.i18n_tools update library   # only that catalogue ("core" for the core's)
    python -m portal.i18n_tools check    # exit 1 when a string has no English
"""

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.pofile import read_po

from .config import DEFAULT_AREAS

ROOT = Path(__file__).resolve().parent
PROJECT = ROOT.parent
PYBABEL = str(Path(sys.executable).with_name("pybabel"))


def catalogues():
    """(translations dir, [source dirs], ignored dir names) for the core and each present area."""
    present = [p.rsplit(".", 1)[-1] for p in DEFAULT_AREAS if (ROOT / p.rsplit(".", 1)[-1]).is_dir()]
    result = [(ROOT / "translations", [ROOT], present + ["translations", "static"])]
    for area in present:
        sources = [ROOT / area] + ([ROOT / "templates" / area] if (ROOT / "templates" / area).is_dir() else [])
        result.append((ROOT / area / "translations", sources, ["translations"]))
    return result


def extract(sources, ignored, pot):
    """Run pybabel extract over `sources` into the template file `pot`."""
    args = [
        PYBABEL,
        "extract",
        "-F",
        str(PROJECT / "babel.cfg"),
        "-k",
        "_l",
        "-k",
        "lazy_gettext",
        "--no-location",
        "--sort-output",
        "-o",
        str(pot),
    ]
    for name in ignored:
        args += ["--ignore-dirs", name]
    subprocess.run(args + [str(s) for s in sources], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _read(path):
    with open(path, "rb") as fh:
        return {m.id: m for m in read_po(fh) if m.id}


def missing_translations():
    """[(catalogue, msgid)] for strings in the code with no English translation."""
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        for index, (directory, sources, ignored) in enumerate(catalogues()):
            pot = Path(tmp) / f"{index}.pot"
            extract(sources, ignored, pot)
            po_path = directory / "en" / "LC_MESSAGES" / "messages.po"
            catalog = _read(po_path) if po_path.exists() else {}
            for msgid in _read(pot):
                message = catalog.get(msgid)
                strings = message.string if message is not None else ""
                translated = all(strings) if isinstance(strings, tuple) else bool(strings)
                if not translated or message.fuzzy:
                    problems.append((str(directory.relative_to(PROJECT)), msgid))
    return problems


def update(only=()):
    """Extract each catalogue's strings and merge them into its messages.po.

    `only` names catalogues to update ("core", "events", …); empty means all.
    """
    for directory, sources, ignored in catalogues():
        name = "core" if directory.parent == ROOT else directory.parent.name
        if only and name not in only:
            continue
        directory.mkdir(parents=True, exist_ok=True)
        pot = directory / "messages.pot"
        extract(sources, ignored, pot)
        po = directory / "en" / "LC_MESSAGES" / "messages.po"
        verb = "update" if po.exists() else "init"
        extra = ["--no-fuzzy-matching", "--ignore-obsolete"] if verb == "update" else []
        subprocess.run([PYBABEL, verb, "-i", str(pot), "-d", str(directory), "-l", "en", *extra], check=True)
        pot.unlink()
        print(f"{verb}d {po.relative_to(PROJECT)}")


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "check"
    if command == "update":
        update(sys.argv[2:])
    else:
        missing = missing_translations()
        for catalogue, msgid in missing:
            print(f"{catalogue}: {msgid!r}")
        sys.exit(1 if missing else 0)
