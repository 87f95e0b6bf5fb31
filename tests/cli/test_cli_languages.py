"""The command line in Russian and in English: every command's help, outputs and errors in the language
of LANG / LC_ALL / LANGUAGE or --lang, while ids, field names and the exports' machine columns stay the
same and every credited amount is the same in both."""

from __future__ import annotations

import re
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
