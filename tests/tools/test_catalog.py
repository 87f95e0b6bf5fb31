"""The message catalogues are whole: every message the code marks (our Python, the command help, click's
own messages, the page) is in the English and the Russian catalogue, Russian translates each one with
matching placeholders, and the compiled files are the catalogues' own (tools/catalog.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po, write_po

from tools import catalog


def test_every_marked_message_is_in_both_catalogues_and_translated() -> None:
    assert catalog.problems() == []


@pytest.fixture
def copy_of_the_catalogues(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The catalogues copied aside, so a test may break one."""
    shutil.copytree(catalog.LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(catalog, "LOCALE_DIR", tmp_path / "locale")
    return tmp_path / "locale"


def test_a_message_the_catalogues_lack_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "new.py"
    source.write_text('from referrals.i18n import _\n\nprint(_("a sentence nobody translated"))\n')
    sources = catalog._sources()
    monkeypatch.setattr(catalog, "_sources", lambda: [*sources, (source, "new.py", "python", catalog.PYTHON_KEYWORDS)])
    found = catalog.problems()
    assert "en: missing 'a sentence nobody translated'" in found
    assert "ru: missing 'a sentence nobody translated'" in found


def test_an_untranslated_or_misplaced_russian_message_is_named(copy_of_the_catalogues: Path) -> None:
    path = copy_of_the_catalogues / "ru" / "LC_MESSAGES" / "referrals.po"
    with path.open("rb") as f:
        ru = read_po(f, locale="ru")
    ru["no recorded source: a direct client"].string = ""
    ru["restored %(id)s (%(name)s): %(what)s"].string = "восстановлено %(id)s: %(what)s и %(oops)s"
    with path.open("wb") as f:
        write_po(f, ru)
    found = catalog.problems()
    assert "ru: untranslated 'no recorded source: a direct client'" in found
    assert any(p.startswith("ru: placeholders ['id', 'oops', 'what']") for p in found)
    assert any("is not the compiled .po" in p for p in found)  # the .mo no longer matches


def test_click_help_and_the_page_markup_are_extracted() -> None:
    ids = {m.id for m in catalog.extract_all() if m.id}
    assert "Show this message and exit." in ids  # click's own
    assert "Show who brought CLIENT in, level by level (CLIENT: id, email, phone or exact name)." in ids  # a docstring
    assert "Draw at most this many clients; the rest are summarised per branch." in ids  # an option's help


def test_no_user_facing_sentence_bypasses_the_catalogue() -> None:
    """Every refusal (Invalid, FieldError, Conflict, TooLarge, Unavailable, an import cell or problem, an
    HTTP error) and every line the command line prints or asks is made with `_()`, `ngettext()` or
    `lazy()` — a literal or an f-string with words in it is English whatever the reader's language.
    Lines without words (ids and values separated by tabs, for scripts) are fine."""
    found = catalog.unmarked_sentences()
    assert found == [], "\n".join(found)


def test_an_unmarked_sentence_is_named(tmp_path: Path) -> None:
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "m.py").write_text(
        "import click\nfrom referrals.errors import Invalid\nfrom referrals.i18n import _\n\n\n"
        "def f(a, ws):\n"
        '    click.echo(f"{ws.id}\\t{ws.name}")  # for scripts: no words\n'
        '    click.echo(_("deleted %(id)s", id=a))\n'
        '    click.echo(f"deleted {a}")\n'
        '    raise Invalid.one("amount", f"{a!r} is too large")\n'
    )
    found = catalog.unmarked_sentences(tmp_path, ("pkg",))
    assert found == ["pkg/m.py:9: f'deleted {a}'", "pkg/m.py:10: f'{a!r} is too large'"]


def test_no_word_of_the_pages_scripts_bypasses_the_catalogue() -> None:
    """A string with words in the page's scripts is an argument of t()/tn() (or a selector, a class,
    a header name): a bare "Sign in" or `Added ${name}` would stay English on the Russian page."""
    found = catalog.unmarked_script_words()
    assert found == [], "\n".join(found)


def test_an_unmarked_word_of_a_script_is_named(tmp_path: Path) -> None:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "m.js").write_text(
        'import { t } from "./i18n.js";\n'
        'el.textContent = t("Added {name}.", { name });\n'
        'el.className = "grid att-rows";\n'
        'h("td", { class: "num own" }, `${t("level {level}", { level })}: ${n}`);\n'
        "status(`Signed in to ${ws.name}.`);\n"
        'h("button", {}, "Show again");\n'
        'if (evt.key === "Enter") go();\n'
        '$("#form-referral [name=source_kind]").value = "client";\n'
    )
    found = catalog.unmarked_script_words(tmp_path, "app")
    assert found == [
        'app/m.js:3: "grid att-rows"',
        "app/m.js:5: `Signed in to ${ws.name}.`",
        'app/m.js:6: "Show again"',
    ]


def test_every_message_the_code_looks_up_is_extracted() -> None:
    """Each `_("...")`, `ngettext`, `N_` in our Python and each `t("...")`/`tn("...")` in the page's
    scripts, wherever it stands (nested in another call, in a template literal's ${}), is in the
    catalogue: read the code another way than the extractor does and compare."""
    found = catalog.looked_up_not_extracted()
    assert found == [], "\n".join(found)


def test_a_message_the_extractor_misses_is_named(tmp_path: Path) -> None:
    (tmp_path / "referrals").mkdir()
    (tmp_path / "referrals" / "m.py").write_text('from referrals.i18n import _\n\nX = _("Not in any catalogue yet")\n')
    (tmp_path / "api" / "static" / "app").mkdir(parents=True)
    (tmp_path / "api" / "static" / "app" / "m.js").write_text('const a = `${t("Tree")}: ${t("Nor this one")}`;\n')
    assert catalog.looked_up_not_extracted(tmp_path) == [
        "referrals/m.py:3: 'Not in any catalogue yet'",
        "api/static/app/m.js:1: 'Nor this one'",
    ]
