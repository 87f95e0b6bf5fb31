"""The command line in Russian and in English: every command's help, outputs and errors in the language
of LANG / LC_ALL / LANGUAGE or --lang, while ids, field names and the exports' machine columns stay the
same and every credited amount is the same in both."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from cli import cli

RU = {"LANG": "ru_RU.UTF-8"}
EN = {"LANG": "en_US.UTF-8"}

# What may stay Latin in Russian help: names of products, formats and machine values.
NAMES = {
    "json",
    "csv",
    "xlsx",
    "xls",
    "ods",
    "html",
    "vcf",
    "vcard",
    "telegram",
    "desktop",
    "google",
    "linkedin",
    "amocrm",
    "hubspot",
    "bitrix24",
    "neo4j",
    "sqlite",
    "flask",
    "graphviz",
    "gephi",
    "cytoscape",
    "yed",
    "mermaid",
    "kumu",
    "svg",
    "png",
    "dot",
    "graphml",
    "gexf",
    "readme",
    "lines",
    "viewer",
    "editor",
    "owner",
    "relink",
    "detach",
    "stdin",
    "stdout",
    "email",
    "id",
    "api",
    "tcp",
    "utc",
    "iso",
    "sha256",
    "time_decay",
    "geometric",
    "gephi-csv",
    "jsonl",
    "zip",
    "pass",
    "user",
    "host",
    "referrals",
    "eur",
    "rub",
    "usd",
    "cp1251",
    "cp1252",
    "http",
    "https",
    "bind",
    "page",
    "url",
    "true",
    "false",
    "table",
}


def commands(group: click.Group, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, cmd in group.commands.items():
        if isinstance(cmd, click.Group):
            yield from commands(cmd, (*path, name))
        else:
            yield (*path, name)


def english_left(text: str) -> list[str]:
    """Latin words in a Russian text that are not names, options, metavars, code or quoted examples."""
    text = re.sub(r"`[^`]*`|«[^»]*»|'[^']*'|\[[^\]]*\]|\S*[/:=.@_<>]\S*", " ", text)
    words = re.findall(r"(?<![-\w])[A-Za-z][A-Za-z0-9-]*", text)
    return [w for w in words if not w.isupper() and not w.startswith("-") and w.lower() not in NAMES]


ALL = list(commands(cli))
NAMES |= {name for path in ALL for name in path} | {"cli", "r"}  # command names; the ratio r


def test_every_command_is_walked() -> None:
    assert len(ALL) > 40 and ("network", "key-clients") in ALL and ("check", "dismiss") in ALL


@pytest.mark.parametrize("path", ALL, ids=lambda p: " ".join(p) or "referrals")
def test_every_help_is_russian_under_a_russian_locale(path: tuple[str, ...]) -> None:
    ru = CliRunner().invoke(cli, [*path, "--help"], env=RU, catch_exceptions=False)
    en = CliRunner().invoke(cli, [*path, "--help"], env=EN, catch_exceptions=False)
    assert ru.exit_code == 0 and en.exit_code == 0
    assert "Использование:" in ru.output and "Usage:" in en.output
    assert english_left(ru.output) == [], ru.output
    assert not re.search(r"[а-яё]{3,}", en.output.replace("Откуда", "")), en.output  # one example column name
    same = CliRunner().invoke(cli, ["--lang", "ru", *path, "--help"], env=EN, catch_exceptions=False)
    assert same.output == ru.output  # --lang overrides the environment


@pytest.fixture
def demo(tmp_path: Path):
    url = f"sqlite:///{tmp_path}/lang.db"
    loaded = CliRunner().invoke(cli, ["--database-url", url, "demo"], env=EN, catch_exceptions=False)
    assert loaded.exit_code == 0, loaded.output
    ws = re.search(r"\((ws_\w+)\)", loaded.output)[1]

    def run(env: dict[str, str], *args: str):
        return CliRunner().invoke(cli, ["--database-url", url, *args], env={**env, "REFERRALS_WORKSPACE": ws})

    return run


def test_outputs_and_errors_speak_the_locale_and_the_numbers_stay(demo) -> None:
    views = [
        ("network", "summary"),
        ("network", "key-clients"),
        ("network", "growth", "--to", "2025-09"),
        ("tree", "Telegram channel"),
        ("attribution", "export", "--month", "2025-03"),
        ("attribution", "months"),
        ("check",),
    ]
    for view in views:
        ru, en = demo(RU, *view), demo(EN, *view)
        assert ru.exit_code == 0 and en.exit_code == 0, (view, ru.output, en.output)
        assert ru.output != en.output, view
        numbers = re.findall(r"\d", ru.output)
        assert numbers == re.findall(r"\d", en.output), view  # the same digits in the same order
    summary = demo(RU, "network", "summary").output
    assert "Сводка пространства" in summary and "₽" in summary and "выручка" in summary
    # the machine exports are the same bytes in either language (headers are documented machine words)
    assert (
        demo(RU, "attribution", "export", "--month", "2025-03", "--format", "csv").stdout_bytes
        == demo(EN, "attribution", "export", "--month", "2025-03", "--format", "csv").stdout_bytes
    )
    missing = demo(RU, "chain", "Никто")
    assert missing.exit_code == 3 and "ошибка: не найдено: клиент 'Никто'" in missing.stderr
    bad = demo(RU, "deal", "add", "Ольга Васильева", "12,345", "--currency", "RUB")
    assert bad.exit_code in (1, 3) and "ошибка:" in bad.stderr and "error:" not in bad.stderr
    usage = demo(RU, "chain", "--nope")
    assert usage.exit_code == 2 and "Нет параметра '--nope'" in usage.output
    english = demo(EN, "chain", "Nobody")
    assert english.exit_code == 3 and "error: client 'Nobody' not found" in english.stderr


def test_the_tables_hold_no_english_but_names_under_a_russian_locale(demo) -> None:
    data = {"Studio", "Nord", "GmbH", "Telegram", "channel", "Blog", "how", "I", "price", "a", "logo", "Demo", "Anna"}
    views = [
        ("network", "summary"),
        ("network", "key-clients"),
        ("network", "growth", "--to", "2025-09"),
        ("network", "influence", "--as-of", "2025-10-01"),
        ("tree", "Telegram channel"),
        ("stats", "Ольга Васильева"),
        ("chain", "Ксения Орлова"),
        ("attribution", "export", "--month", "2025-03"),
        ("attribution", "export", "--month", "2025-03", "--all-models"),
        ("attribution", "statement", "Ольга Васильева", "--month", "2025-03"),
        ("client", "list"),
    ]
    for view in views:
        out = demo(RU, *view)
        assert out.exit_code == 0, (view, out.output)
        left = [w for w in english_left(out.output) if w not in data]
        assert left == [], (view, out.output)


def test_the_workbook_and_the_statement_speak_russian_with_the_same_numbers(demo, tmp_path: Path) -> None:
    from decimal import Decimal

    from openpyxl import load_workbook

    books = {}
    for lang, env in (("ru", RU), ("en", EN)):
        path = tmp_path / f"{lang}.xlsx"
        out = demo(env, "attribution", "export", "--month", "2025-03", "-o", str(path))
        assert out.exit_code == 0, out.output
        books[lang] = load_workbook(path)
    assert books["en"].sheetnames == ["EUR", "RUB", "New clients", "Deals", "Parameters"]
    assert books["ru"].sheetnames == ["EUR", "RUB", "Новые клиенты", "Сделки", "Параметры"]
    for ru_sheet, en_sheet in zip(books["ru"].worksheets, books["en"].worksheets, strict=True):

        def numbers(sheet) -> list:
            return [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, int | float | Decimal)]

        assert numbers(ru_sheet) == numbers(en_sheet), ru_sheet.title
    assert (
        books["ru"]["RUB"]["A1"].value == "Источник"
        and books["ru"]["RUB"].cell(books["ru"]["RUB"].max_row, 1).value == "Итого"
    )
    page = demo(RU, "attribution", "statement", "Ольга Васильева", "--month", "2025-03", "--format", "html")
    assert page.exit_code == 0
    html = page.stdout
    assert '<html lang="ru">' in html and "Начисления за рекомендации: Ольга Васильева" in html and "\u00a0₽" in html


def test_an_import_report_speaks_russian(demo, tmp_path: Path) -> None:
    sheet = tmp_path / "клиенты.csv"
    rows = "Имя,Email,Клиент с\nВера,vera@example.com,31.13.2024\nГлеб,не-почта,01.02.2024\n"
    sheet.write_text(rows, encoding="utf-8")
    ru = demo(RU, "import", str(sheet), "--dry-run")
    en = demo(EN, "import", str(sheet), "--dry-run")
    assert ru.exit_code == en.exit_code == 1
    assert "2 проблемы, ничего не записано:" in ru.stderr and "2 problems, nothing was written:" in en.stderr
    assert "такого дня в календаре нет" in ru.stderr and "не адрес email" in ru.stderr
    assert "ошибка: files: в файлах 2 проблемы; исправьте их и запустите снова" in ru.stderr
    assert english_left(ru.stderr.replace("клиенты.csv", "")) == [], ru.stderr


# -- every command, both languages -------------------------------------------------------------

# One success and one refusal per command, each on its own copy of the demo workspace; `setup` runs
# first (in English) and returns values the arguments name as {key}. `serve` runs a server until
# stopped, so only its refusal runs here (its banner: tests/test_first_run.py).
CASES: dict[str, tuple[str | None, str]] = {
    "db init": ("db init", "db init --nope"),
    "db status": ("db status", "db status extra"),
    "workspace create": ("workspace create 'Студия Север'", "workspace create ''"),
    "workspace rename": ("workspace rename '{ws}' 'Студия Юг'", "workspace rename ws_nope 'Юг'"),
    "workspace delete": ("workspace delete '{ws}' --force --yes", "workspace delete ws_nope --yes"),
    "workspace list": ("workspace list", "workspace list --nope"),
    "token create": ("token create -w '{ws}' --role viewer", "token create -w '{ws}' --role god"),
    "token list": ("token list -w '{ws}'", "token list -w ws_nope"),
    "token revoke": ("token revoke '{token}' -w '{ws}'", "token revoke tk_nope -w '{ws}'"),
    "link": ("link", "link -w ws_nope"),
    "demo": ("demo", "demo --nope"),
    "serve": (None, "serve --port 0"),
    "attribution export": ("attribution export --month 2025-03", "attribution export --month 2025-13"),
    "attribution statement": (
        "attribution statement 'Ольга Васильева' --month 2025-03",
        "attribution statement 'Никто' --month 2025-03",
    ),
    "attribution close": ("attribution close --month 2025-03", "attribution close --month 2099-01"),
    "attribution reopen": ("attribution reopen --month 2025-03", "attribution reopen --month 2025-04"),
    "attribution months": ("attribution months", "attribution months --format pdf"),
    "check run": ("check run", "check run --burst-days 0"),
    "check dismiss": ("check dismiss '{finding}' --note 'одна семья'", "check dismiss nope --note x"),
    "check undismiss": ("check undismiss '{finding}'", "check undismiss nope"),
    "backup": ("backup --output '{tmp}/копия.jsonl'", "backup --output '{tmp}/нет/копия.jsonl'"),
    "restore": ("restore '{backup}'", "restore '{tmp}/пусто.jsonl'"),
    "migrate": ("migrate --from '{url}' --to 'sqlite:///{tmp}/другая.db'", "migrate --from '{url}' --to ftp://x"),
    "import files": ("import files '{csv}'", "import files '{tmp}/нет.csv'"),
    "import list": ("import list", "import list --format pdf"),
    "import undo": ("import undo '{batch}'", "import undo im_nope"),
    "chain": ("chain 'Ксения Орлова'", "chain 'Никто'"),
    "tree": ("tree 'Telegram channel'", "tree 'Telegram channel' --depth 0"),
    "stats": ("stats 'Ольга Васильева'", "stats 'Никто'"),
    "network summary": ("network summary", "network summary --as-of 2025-02-30"),
    "network key-clients": ("network key-clients", "network key-clients --currency XYZW"),
    "network growth": ("network growth --to 2025-09", "network growth --window 99"),
    "network influence": ("network influence --as-of 2025-10-01", "network influence --top 0"),
    "export-graph": ("export-graph -o '{tmp}/сеть.dot'", "export-graph --root 'Никто'"),
    "client add": ("client add 'Вера Ким' --phone '+7 916 555-44-33'", "client add 'Вера' --email 'не-почта'"),
    "client edit": ("client edit 'Ольга Васильева' --status inactive", "client edit 'Никто' --status active"),
    "client list": ("client list", "client list --limit 0"),
    "channel add": ("channel add 'Подкаст'", "channel add 'Подкаст' --kind radio"),
    "channel list": ("channel list", "channel list --format pdf"),
    "refer": ("refer 'Ольга Васильева' 'Вера Ким' --on 2025-05-01", "refer 'Ольга Васильева' 'Никто'"),
    "deal add": (
        "deal add 'Ольга Васильева' 1250.50 --currency RUB",
        "deal add 'Ольга Васильева' 12,345 --currency RUB",
    ),
}


RULES = {"shared_contact", "self_referral", "burst", "hollow_cluster", "dated_early", "ring"}


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("every") / "demo.db"
    loaded = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{path}", "demo"], env=EN, catch_exceptions=False)
    assert loaded.exit_code == 0, loaded.output
    return path, re.search(r"\((ws_\w+)\)", loaded.output)[1]


def _data_words(path: Path, ws: str) -> set[str]:
    """Words of what the demo holds (names, titles, notes): Russian data stays Russian in English output."""
    import sqlite3

    words: set[str] = set()
    with sqlite3.connect(path) as db:
        for table in ("clients", "channels", "deals", "workspaces"):
            columns = [r[1] for r in db.execute(f"PRAGMA table_info({table})")]  # our own table names
            for column in set(columns) & {"name", "title", "notes"}:
                for (value,) in db.execute(f"SELECT {column} FROM {table}"):
                    words |= set(re.findall(r"\w+", value or ""))
    return words


def _setup(name: str, run, tmp: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    values: dict[str, str] = {}
    if name == "token revoke":
        values["token"] = re.search(r"\b(tk_\w+)", run(EN, "token", "create", "-w", "{ws}").output)[1]
    if name in ("check dismiss", "check undismiss"):
        for who in ("Ксения Орлова", "Ольга Васильева"):
            assert run(EN, "client", "edit", who, "--phone", "+7 916 123-45-67").exit_code == 0
        import json

        values["finding"] = json.loads(run(EN, "check", "run", "--format", "json").stdout)["findings"][0]["key"]
        if name == "check undismiss":
            assert run(EN, "check", "dismiss", values["finding"], "--note", "x").exit_code == 0
    if name == "refer":
        assert run(EN, "client", "add", "Вера Ким").exit_code == 0
    if name == "attribution reopen":
        assert run(EN, "attribution", "close", "--month", "2025-03").exit_code == 0
    if name == "restore":
        values["backup"] = str(tmp / "b.jsonl")
        assert run(EN, "backup", "--output", values["backup"]).exit_code == 0
        assert run(EN, "workspace", "delete", "{ws}", "--force", "--yes").exit_code == 0
    (tmp / "пусто.jsonl").write_text("")
    csv = tmp / "клиенты.csv"
    csv.write_text("Имя,Email\nГлеб Орлов,gleb@example.com\n", encoding="utf-8")
    values["csv"] = str(csv)
    if name == "import undo":
        done = run(EN, "import", "files", str(csv))
        values["batch"] = re.search(r"\b(im_\w+)", done.output + done.stderr)[1]
    return values


@pytest.mark.parametrize("name", sorted(CASES))
def test_every_command_speaks_both_languages(name: str, demo_db: tuple[Path, str], tmp_path: Path) -> None:
    """Each command's output and its refusal, under ru_RU.UTF-8 and en_US.UTF-8: the same exit code, no
    English word in the Russian (names, ids, formats, options and the demo's data aside), no Russian in
    the English but the demo's own data."""
    import shutil

    success, failure = CASES[name]
    source, ws = demo_db
    data = _data_words(source, ws) | {"Studio", "Nord", "GmbH", "Telegram", "channel", "Blog", "how", "I", "price"}
    data |= {"a", "logo", "Demo", "Anna", "Anna's", "design", "studio", "s"}
    for env, check in ((RU, "ru"), (EN, "en")):
        for args, ok in ((success, True), (failure, False)):
            if args is None:
                continue
            tmp = tmp_path / f"{check}-{ok}"
            tmp.mkdir()
            db = tmp / "w.db"
            shutil.copy(source, db)
            known = {"ws": ws, "tmp": str(tmp), "url": f"sqlite:///{db}"}

            def run(env_, *a: str, _known: dict[str, str] = known):  # type: ignore[no-untyped-def]
                filled = [x.format(**_known) for x in a]
                return CliRunner().invoke(
                    cli, ["--database-url", _known["url"], *filled], env={**env_, "REFERRALS_WORKSPACE": ws}
                )

            known.update(_setup(name, run, tmp))
            out = run(env, *shlex.split(args))
            text = out.output
            assert (out.exit_code == 0) is ok, (name, check, args, text)
            given = data | set(re.findall(r"\w+", args))  # what the command was given is echoed
            given |= RULES  # the check's rule ids, codes like a linter's
            # tab-separated lines are for scripts: ids and machine values, the same in any language
            text = "\n".join(line for line in text.splitlines() if "\t" not in line)
            text = re.sub(r"\b[0-9a-f]{16,}\b", " ", text)  # checksums
            if check == "ru":
                left = [w for w in english_left(text) if w not in given]
                assert left == [], (name, args, text)
                if not ok:
                    assert re.search(r"[Оо]шибка|Нет параметра|Неверное значение|Отсутствует", text), (name, text)
            else:
                russian = [w for w in re.findall(r"[А-Яа-яЁё]+", text) if w not in given]
                assert russian == [], (name, args, text)


def test_every_command_has_its_case() -> None:
    leaves = set()
    for path in ALL:
        cmd: click.Command = cli
        for name in path:
            cmd = cmd.commands[name]  # type: ignore[attr-defined]
        if path and not isinstance(cmd, click.Group):
            leaves.add(" ".join(path))
    assert set(CASES) == leaves
