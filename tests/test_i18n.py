"""Every string in the code is marked and translated in every language, and one msgid means one thing."""

import ast
import re
from pathlib import Path

import pytest

from portal.config import LANGUAGES
from portal.i18n_tools import TRANSLATED, collisions, format_errors, missing_translations

PORTAL = Path(__file__).resolve().parent.parent / "portal"


def test_every_language_is_an_interface_language():
    assert LANGUAGES[0] == "it" and set(TRANSLATED) == set(LANGUAGES) - {"it"}
    assert {"en", "ar", "es", "zh"} <= set(TRANSLATED)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_is_translated(language):
    missing = missing_translations([language])
    assert not missing, f"{len(missing)} untranslated strings:\n" + "\n".join(f"{c}: {m!r}" for c, _, m in missing[:50])


def test_one_msgid_means_one_thing():
    """The catalogues are merged into one domain: two translations of one msgid means one is never seen."""
    found = collisions()
    assert not found, "\n".join(f"[{lang}] {msgid!r}: {by}" for lang, msgid, by in found)


def test_placeholders_survive_translation():
    errors = format_errors()
    assert not errors, "\n".join(map(str, errors[:30]))


def test_collisions_are_found(tmp_path, monkeypatch):
    from portal import i18n_tools

    for name, text in (("a", "Book"), ("b", "Place a hold")):
        po = tmp_path / name / "translations" / "en" / "LC_MESSAGES" / "messages.po"
        po.parent.mkdir(parents=True)
        po.write_text(f'msgid ""\nmsgstr ""\n"Language: en\\n"\n\nmsgid "Prenota"\nmsgstr "{text}"\n', encoding="utf-8")
    monkeypatch.setattr(i18n_tools, "catalogues", lambda: [(tmp_path / n / "translations", [], []) for n in "ab"])
    assert collisions(["en"]) == [("en", "Prenota", {"a": "Book", "b": "Place a hold"})]


# --- strings nobody marked for translation ----------------------------------------------------
# Templates: text between tags and the readable attributes, once {% trans %} blocks and every
# {{ … }} / {% … %} are taken out. Allowed: brand and place names, language names (each written
# in itself), format names, CSS class names inside {% block body_class %}.
ALLOWED_WORDS = {
    "binari", "kaleidoscopi", "metropolitani", "viale", "faenza", "via", "erlembaldo", "visconti",
    "italiano", "english", "español", "العربية", "中文", "ical", "atom", "pdf", "isbn", "rss", "whatsapp", "telegram",
}  # fmt: skip
TRANS_BLOCK = re.compile(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", re.S)
JINJA = re.compile(r"{{.*?}}|{%.*?%}|{#.*?#}", re.S)
RAW = re.compile(r"<(script|style)\b.*?</\1>|<!--.*?-->", re.S)
TAG = re.compile(r"<[^>]*>", re.S)
READABLE_ATTR = re.compile(r'\b(?:title|alt|placeholder|aria-label|aria-description)="([^"]*)"')
WORD = re.compile(r"[^\W\d_]{2,}")
CSS_CLASSES = re.compile(r"^[a-z]+-[a-z-]*( [a-z]+-[a-z-]*)*$")


def _blank(match):
    return "\x00" + "\n" * match.group(0).count("\n")


def _readable(chunk):
    chunk = re.sub(r"&[a-z]+;|&#x?[0-9a-f]+;", " ", chunk.replace("\x00", " ")).strip()
    if not WORD.search(chunk) or CSS_CLASSES.match(chunk):
        return False
    return any(word.lower() not in ALLOWED_WORDS for word in WORD.findall(chunk))


def unmarked_in_template(source):
    """[(line, text)] of readable text in a template that no {% trans %} or _() wraps."""
    for pattern in (TRANS_BLOCK, JINJA, RAW):
        source = pattern.sub(_blank, source)
    found = [
        (source.count("\n", 0, m.start()) + 1, m.group(1))
        for m in READABLE_ATTR.finditer(source)
        if _readable(m.group(1))
    ]
    for lineno, line in enumerate(TAG.sub(_blank, source).split("\n"), 1):
        found += [(lineno, chunk.strip()) for chunk in line.split("\x00") if _readable(chunk)]
    return found


# Python: literal text given to flash(), to Refusal and its subclasses, to form fields and validators.
# Errors for developers and for the admin at the shell (like the other `flask` commands' output), not pages.
DEVELOPER_ERRORS = {
    "AreaContractError", "ConfigError", "ValueError", "TypeError", "KeyError", "RuntimeError", "BackupError",
    "PDFRenderError",  # a PDF that could not be drawn: the 500 handler logs it, no reader sees its text
}  # fmt: skip
VALIDATORS = {"DataRequired", "InputRequired", "Length", "Email", "NumberRange", "Regexp", "Optional"}


def unmarked_in_python(source):
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        name = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
        if name == "flash" or (
            name.endswith(("Error", "Refusal")) and name[:1].isupper() and name not in DEVELOPER_ERRORS
        ):
            candidates = node.args[:1] + [k.value for k in node.keywords if k.arg == "message"]
        elif name.endswith("Field") and name[:1].isupper() and name != "ForeignKeyField":
            candidates = node.args[:1] + [k.value for k in node.keywords if k.arg in ("label", "description")]
        elif name in VALIDATORS:
            candidates = [k.value for k in node.keywords if k.arg == "message"] + node.args[:1]
        else:
            continue
        for arg in candidates:
            if isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and _readable(str(arg.value))):
                found.append((node.lineno, ast.unparse(arg)))
    return found


def test_templates_mark_every_string():
    found = [
        f"{path.relative_to(PORTAL)}:{line}: {text!r}"
        for path in sorted((PORTAL / "templates").rglob("*.html"))
        for line, text in unmarked_in_template(path.read_text(encoding="utf-8"))
    ]
    assert not found, "text outside {% trans %} / _():\n" + "\n".join(found)


def test_python_marks_every_string():
    found = [
        f"{path.relative_to(PORTAL)}:{line}: {text}"
        for path in sorted(PORTAL.rglob("*.py"))
        for line, text in unmarked_in_python(path.read_text(encoding="utf-8"))
    ]
    assert not found, "literal text shown to people without _():\n" + "\n".join(found)


def test_the_heuristics_catch_planted_strings():
    template = '<h1>{{ _("Titolo") }}</h1>\n<p class="x">Ciao a tutti</p>\n<img alt="Foto del centro" src="{{ u }}">'
    assert unmarked_in_template(template) == [(3, "Foto del centro"), (2, "Ciao a tutti")]
    marked = '{% trans %}Ciao {{ name }}{% endtrans %} <a href="{{ u }}">Binari</a> {% block c %}ev-flyer{% endblock %}'
    assert unmarked_in_template(marked) == []
    python = 'flash("Salvato.")\nflash(_("Salvato."))\nraise Refusal("Posti esauriti.")\nStringField("Nome")\n'
    assert [line for line, _ in unmarked_in_python(python)] == [1, 3, 4]
