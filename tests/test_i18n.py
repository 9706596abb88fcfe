"""Every string in the code has its English translation."""

from portal.i18n_tools import missing_translations


def test_every_string_has_english():
    missing = missing_translations()
    assert not missing, "untranslated strings:\n" + "\n".join(f"{c}: {m!r}" for c, m in missing[:50])
