"""Reading CSV/JSON files and planning an import: every bad file gets a clear report line, none crashes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from referrals.errors import TooLarge
from referrals.importing import Changes, Parsed, ReadOptions, View, cell_amount, plan, read_file

TODAY = date(2024, 6, 30)
NOW = datetime(2024, 6, 30, 12, tzinfo=UTC)
EMPTY = View((), (), (), ())


def run(*files: tuple[str, bytes], view: View = EMPTY, opts: ReadOptions | None = None) -> tuple[Parsed, Changes]:
    parsed = Parsed()
    for name, data in files:
        parsed.add(read_file(name, data, opts=opts))
    return parsed, plan(parsed.rows, view, TODAY, NOW)


def lines(parsed: Parsed, changes: Changes) -> list[tuple[str, int, str, str, str]]:
    return [(p.file, p.row, p.column, p.value, p.reason) for p in parsed.problems + changes.problems]


def test_a_spreadsheet_with_bom_semicolons_and_aliases() -> None:
    data = (
        "\ufeffFull Name;E-Mail;Recommended by;Client since\nAna;ana@x.org;;2024-01-02\nBruno;;ana@x.org;2024-02-01\n"
    )
    parsed, changes = run(("clients.csv", data.encode()))
    assert lines(parsed, changes) == []
    assert [c.name for c in changes.new_clients] == ["Ana", "Bruno"]
    (ref,) = changes.new_referrals
    assert ref.primary and ref.referred_on == date(2024, 2, 1)  # referred_on defaults to client since
    assert changes.summary["clients"]["created"] == 2 and changes.summary["referrals"]["created"] == 1


def test_a_phone_column_in_russian_or_english_is_read_as_e164() -> None:
    data = "Name,Телефон\nАнна,8 916 123-45-67\nБорис,+44 20 7946 0958\nВера,позвоните мне\n"
    parsed, changes = run(("contacts.csv", data.encode()))
    assert [(c.name, c.phone) for c in changes.new_clients] == [("Анна", "+79161234567"), ("Борис", "+442079460958")]
    assert [(row, column) for _, row, column, _, _ in lines(parsed, changes)] == [(4, "phone")]


def test_bad_files_each_get_a_clear_line() -> None:
    latin1 = "name,email\nJosé,jose@x.org\n".encode("latin-1")
    parsed, changes = run(("latin1.csv", latin1))
    ((file, row, column, _, reason),) = lines(parsed, changes)
    assert (file, row, column) == ("latin1.csv", 2, "(file)") and "not valid utf-8" in reason and "--encoding" in reason

    clients = (
        "name,email,referred by,referred on\n"
        "Ana,ana@x.org,Bruno,2024-01-01\n"
        "Bruno,bruno@x.org,Ana,2024-01-02\n"  # with the row above: a cycle inside the file
        "Carla,,Zed,2024-01-03\n"  # nobody called Zed
        "Dora,dora@x.org,,\n"
        "Dora again,dora@x.org,,\n"  # the same email twice
        "Eve,,Ana,2031-01-01\n"  # a date in the future
    )
    deals = (
        "client,amount,currency,date\n"
        'Ana,"1,234.50",EUR,2024-05-01\n'
        'Ana,"12.345,00",EUR,2024-05-01\n'
        "Ana,12.50,EUR,2024-05-01\n"
        "Ana,12.50,EUR,2024-05-01\n"  # a duplicate row
        "Ana,5,XYZ,2024-05-01\n"
        "Ana,5,EUR,31/13/2024\n"
        "Nobody,5,EUR,2024-05-01\n"
    )
    parsed, changes = run(("clients.csv", clients.encode()), ("deals.csv", deals.encode()))
    got = {(f, r, c): reason for f, r, c, _, reason in lines(parsed, changes)}
    assert "would close a cycle" in got[("clients.csv", 3, "referred_by")]
    assert "no client or channel" in got[("clients.csv", 4, "referred_by")]
    assert got[("clients.csv", 6, "email")] == "repeats row 5"
    assert "in the future" in got[("clients.csv", 7, "referred_on")]
    assert ("deals.csv", 2, "amount") not in got and ("deals.csv", 3, "amount") not in got  # grouped: read
    assert got[("deals.csv", 5, "amount")] == "repeats row 4"
    assert "ISO 4217" in got[("deals.csv", 6, "currency")]
    assert got[("deals.csv", 7, "closed_on")] == "'31/13/2024' is not a day of the calendar"
    assert "no client" in got[("deals.csv", 8, "client")]
    assert len(got) == 8
    values = {(f, r, c): v for f, r, c, v, _ in lines(parsed, changes)}
    assert values[("deals.csv", 7, "closed_on")] == "31/13/2024" and values[("clients.csv", 4, "referred_by")] == "Zed"
    assert sorted(d.amount.minor for d in changes.new_deals) == [1250, 123450, 1234500]


def test_unknown_columns_ragged_rows_and_broken_json() -> None:
    parsed, changes = run(("c.csv", b"name,shoe size\nAna,42\nBruno,41,extra\n"))
    got = [(r, c, reason) for _, r, c, _, reason in lines(parsed, changes)]
    assert got == [(3, "(row)", "3 cells for 2 columns")]  # an unknown column alone refuses nothing
    parsed, changes = run(("c.csv", b"name,shoe size\nAna,42\n"), opts=ReadOptions(strict=True))
    got = [(r, c, reason) for _, r, c, _, reason in lines(parsed, changes)]
    assert got == [(1, "shoe size", "unknown column; see the README, or --map it")]
    parsed, _ = run(("x.json", b'{"clients": [{"name": "Ana"},'))
    assert parsed.problems[0].column == "(file)" and "not JSON" in parsed.problems[0].reason
    parsed, _ = run(("empty.csv", b""))
    assert parsed.problems[0].reason == "the file is empty"


def test_json_sections() -> None:
    doc = {
        "channels": [{"name": "Blog", "kind": "blog"}],
        "clients": [{"name": "Ana", "email": "ana@x.org", "tags": ["vip", "b2b"]}],
        "referrals": [{"client": "Ana", "referred_by": "Blog", "referred_on": "2024-01-01"}],
        "deals": [{"client": "ana@x.org", "amount": "10.00", "currency": "EUR", "closed_on": "2024-05-01"}],
    }
    parsed, changes = run(("all.json", json.dumps(doc).encode()))
    assert lines(parsed, changes) == []
    assert changes.new_clients[0].tags == ("b2b", "vip")
    assert changes.new_referrals[0].source.id == changes.new_channels[0].id
    assert changes.new_deals[0].amount.minor == 1000


def test_a_key_given_twice_in_a_json_object_is_a_problem_where_it_stands() -> None:
    """{"name": "Ana", "name": "Bo"} in a row, or a second "clients" list beside the first: which one was
    meant is a guess (a reader keeping the last would drop every row of the first list)."""
    rows = b'[{"name": "Ana"}, {"name": "Ana", "email": "a@x.org", "name": "Bo"}]'
    parsed, _ = run(("clients.json", rows))
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (2, "name", "given twice in one object; give it once")
    ]
    sections = b'{"clients": [{"name": "Ana"}], "clients": [{"name": "Bo"}], "deals": []}'
    parsed, _ = run(("all.json", sections))
    assert [(p.row, p.column, p.reason) for p in parsed.problems] == [
        (0, "clients", "given twice in one object; give it once")
    ]
    parsed, changes = run(("ok.json", b'{"clients": [{"name": "Ana", "notes": {"x": 1, "y": 2}}]}'))
    assert lines(parsed, changes) == [] and changes.new_clients[0].name == "Ana"


def test_rerunning_an_import_plans_nothing() -> None:
    files = (
        ("clients.csv", b"name,external id,referred by,referred on\nAna,a1,,\nBruno,b1,a1,2024-01-01\n"),
        ("deals.csv", b"client,amount,currency,date,invoice\na1,10,EUR,2024-05-01,inv-1\nb1,5,EUR,2024-05-02,\n"),
    )
    _, first = run(*files)
    view = View(first.new_clients, first.new_channels, first.new_referrals, first.new_deals)
    _, second = run(*files, view=view)
    assert second.writes == 0 and second.problems == []
    assert second.summary["clients"]["unchanged"] == 2 and second.summary["deals"]["unchanged"] == 2
    changed = (("clients.csv", b"name,external id,notes\nAna,a1,moved to Lyon\n"),)
    _, third = run(*changed, view=view)
    assert [c.notes for c in third.updated_clients] == ["moved to Lyon"] and third.summary["clients"]["updated"] == 1


@pytest.mark.parametrize(
    ("text", "minor"),
    [("1234.50", 123450), ("-20", -2000), ("0.5", 50), (" 7 ", 700)],
)
def test_plain_amounts(text: str, minor: int) -> None:
    assert cell_amount(text, "EUR") == minor


def test_a_broken_line_under_a_one_column_header_is_a_problem_not_a_crash() -> None:
    """A header naming one field makes the reader look further down for a better one (a preamble): a line
    it cannot read there (an unclosed quote over the field limit) is reported by its number."""
    parsed, _ = run(("names.csv", b'name\nAna\n"' + b"a" * 200_000 + b"\n"))
    assert [(p.row, p.reason) for p in parsed.problems] == [
        (3, "unreadable CSV (field larger than field limit (131072))")
    ]
    parsed, changes = run(("names.csv", b"name\n" + b"".join(b"Client %d\n" % i for i in range(30))))
    assert lines(parsed, changes) == [] and len(changes.new_clients) == 30


def test_hostile_json_is_reported_not_crashed_on() -> None:
    parsed, _ = run(("deep.json", b"[" * 100_000 + b"]" * 100_000))
    assert parsed.problems[0].reason == "JSON nested too deeply"
    parsed, changes = run(("odd.json", b'[{"name": 5, "tags": [1, 2]}, 7, {"amount": {"x": 1}}]'))
    assert [p.reason for p in parsed.problems] == ["expected an object"]
    assert changes.problems  # the deal row has no client and an unreadable amount


# -- spreadsheets as people keep them ----------------------------------------------------------


def xlsx(sheets: dict[str, list[list[object]]]) -> bytes:
    """A workbook written by openpyxl (what Excel and the statement export write)."""
    import io

    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for r in rows:
            sheet.append(r)
    buf = io.BytesIO()
    book.save(buf)
    return buf.getvalue()


def ods(rows: list[list[str | float]]) -> bytes:
    """An OpenDocument spreadsheet (ODF 1.2, as LibreOffice writes it): a zip with its mimetype first."""
    import io
    import zipfile
    from xml.sax.saxutils import escape

    def cell(v: str | float) -> str:
        if isinstance(v, float):
            typed = f'office:value-type="float" office:value="{v}"'
            return f"<table:table-cell {typed}><text:p>{v}</text:p></table:table-cell>"
        return f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p></table:table-cell>'

    body = "".join("<table:table-row>" + "".join(cell(v) for v in r) + "</table:table-row>" for r in rows)
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f'<office:body><office:spreadsheet><table:table table:name="Лист1">{body}</table:table>'
        "</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/"'
        ' manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml", manifest, compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def test_a_russian_workbook_with_two_sheets_as_a_freelancer_keeps_it() -> None:
    book = xlsx(
        {
            "Клиенты": [
                ["Имя", "Фамилия", "Почта", "Телефон", "Кто порекомендовал", "Клиент с", "Город"],
                ["Анна", "Иванова", "anna@x.ru", "8 (916) 123-45-67", None, date(2024, 1, 10), "Москва"],
                ["Борис", "Петров", None, "+7 916 765 43 21", "Анна Иванова", "12.02.2024", "Казань"],
            ],
            "Сделки": [
                ["Клиент", "Сумма", "Валюта", "Дата"],
                ["anna@x.ru", 1250.5, "RUB", date(2024, 2, 1)],
                ["Борис Петров", "1 250,00 ₽", None, "15.03.2024"],
                ["Борис Петров", "−300,00", "₽", "16.03.2024"],
            ],
            "Пустой": [],
        }
    )
    parsed, changes = run(("сеть.xlsx", book))
    assert lines(parsed, changes) == []
    assert [(c.name, c.phone, c.acquired_on, c.notes) for c in changes.new_clients] == [
        ("Анна Иванова", "+79161234567", date(2024, 1, 10), "Город: Москва"),
        ("Борис Петров", "+79167654321", date(2024, 2, 12), "Город: Казань"),
    ]
    (ref,) = changes.new_referrals
    assert ref.referred_on == date(2024, 2, 12)  # the row's acquired date, as ever
    assert sorted((d.amount.minor, d.amount.currency) for d in changes.new_deals) == [
        (-30000, "RUB"),
        (125000, "RUB"),
        (125050, "RUB"),
    ]
    (warning,) = parsed.warnings
    assert (
        warning.file == "сеть.xlsx[Клиенты]"
        and warning.column == "'Город'"
        and "kept in each row's notes" in warning.reason
    )


def test_a_sheet_by_name_and_a_missing_one_named() -> None:
    book = xlsx({"Clients": [["name"], ["Ana"]], "Other": [["name"], ["Zed"]]})
    parsed, changes = run(("b.xlsx", book), opts=ReadOptions(sheets=("Clients",)))
    assert [c.name for c in changes.new_clients] == ["Ana"] and parsed.problems == []
    parsed, _ = run(("b.xlsx", book), opts=ReadOptions(sheets=("Deals",)))
    assert [(p.column, p.value, p.reason) for p in parsed.problems] == [
        ("(sheet)", "Deals", "no such sheet; the file has 'Clients', 'Other'")
    ]
    parsed, _ = run(("broken.xlsx", b"PK\x03\x04 not really a zip"))
    assert parsed.problems[0].column == "(file)" and "not a spreadsheet" in parsed.problems[0].reason


def test_an_ods_spreadsheet_reads_like_the_workbook() -> None:
    parsed, changes = run(
        ("people.ods", ods([["ФИО", "Почта"], ["Вера Сергеевна", "vera@x.ru"]])),
        ("deals.ods", ods([["Клиент", "Сумма", "Валюта", "Дата"], ["vera@x.ru", 99.9, "EUR", "01.02.2024"]])),
    )
    assert lines(parsed, changes) == []
    assert [(c.name, c.email) for c in changes.new_clients] == [("Вера Сергеевна", "vera@x.ru")]
    assert [(d.amount.minor, d.closed_on) for d in changes.new_deals] == [(9990, date(2024, 2, 1))]


def test_cp1251_csv_with_crlf_quoted_newlines_and_a_semicolon() -> None:
    text = (
        'ФИО;Заметки;Кто порекомендовал;Дата рекомендации\r\n"Олег";"звонить\r\nпосле 18";;\r\nИра;;Олег;01.03.2024\r\n'
    )
    one = read_file("clients.csv", text.encode("cp1251"), opts=ReadOptions(encoding="cp1251"))
    changes = plan(one.rows, EMPTY, TODAY, NOW)
    assert one.problems == [] and changes.problems == []
    assert [(c.name, c.notes) for c in changes.new_clients] == [("Олег", "звонить\nпосле 18"), ("Ира", None)]
    assert changes.new_referrals[0].referred_on == date(2024, 3, 1)


def test_undated_recommendations_follow_the_policy_asked() -> None:
    from referrals.importing import PlanOptions, Undated

    clients = "name,email,referred by\nAna,ana@x.org,\nBruno,bruno@x.org,ana@x.org\nCarla,carla@x.org,ana@x.org\n"
    deals = "client,amount,currency,date\nbruno@x.org,10,EUR,2024-05-02\nbruno@x.org,-10,EUR,2024-04-01\n"
    files = (("clients.csv", clients.encode()), ("deals.csv", deals.encode()))
    parsed, refused = run(*files)
    assert [(p.row, p.column) for p in refused.problems] == [(3, "referred_on"), (4, "referred_on")]
    assert "--undated acquired or before-first-deal" in refused.problems[0].reason
    first = plan(parsed.rows, EMPTY, TODAY, NOW, PlanOptions(undated=Undated.BEFORE_FIRST_DEAL))
    # Carla has no paid deal and no acquired date: refused, with the reason.
    assert [(p.row, p.reason) for p in first.problems] == [
        (4, "required: the client has no paid deal and no acquired date to date it by (--undated before-first-deal)")
    ]
    dated = (
        "name,email,referred by,client since\n"
        "Ana,ana@x.org,,\nBruno,bruno@x.org,ana@x.org,\nCarla,carla@x.org,,2024-03-01\n"
    )
    view_files = (("clients.csv", dated.encode()), ("deals.csv", deals.encode()))
    parsed, _ = run(*view_files)
    by_deal = plan(parsed.rows, EMPTY, TODAY, NOW, PlanOptions(undated=Undated.BEFORE_FIRST_DEAL))
    assert by_deal.problems == [] and by_deal.dated == {"first deal": 1}
    assert by_deal.new_referrals[0].referred_on == date(2024, 5, 2)  # the paid deal, not the refund before it
    later = "client,referred by\ncarla@x.org,ana@x.org\n"
    view = View(by_deal.new_clients, by_deal.new_channels, by_deal.new_referrals, by_deal.new_deals)
    parsed, _ = run(("refs.csv", later.encode()), view=view)
    acquired = plan(parsed.rows, view, TODAY, NOW, PlanOptions(undated=Undated.ACQUIRED))
    assert acquired.problems == [] and acquired.dated == {"acquired": 1}
    assert acquired.new_referrals[0].referred_on == date(2024, 3, 1)  # the stored client's acquired date


def test_slash_dates_of_a_file_are_read_in_the_order_its_column_shows() -> None:
    from referrals.importing import DateOrder, PlanOptions

    deals = "client,amount,currency,date\nAna,1,EUR,31/01/2024\nAna,2,EUR,03/04/2024\n"
    parsed, changes = run(("clients.csv", b"name\nAna\n"), ("deals.csv", deals.encode()))
    assert changes.problems == [] and sorted(d.closed_on for d in changes.new_deals) == [
        date(2024, 1, 31),
        date(2024, 4, 3),
    ]
    us = "client,amount,currency,date\nAna,1,EUR,01/31/2024\nAna,2,EUR,03/04/2024\n"
    parsed, changes = run(("clients.csv", b"name\nAna\n"), ("deals.csv", us.encode()))
    assert sorted(d.closed_on for d in changes.new_deals) == [date(2024, 1, 31), date(2024, 3, 4)]
    unclear = "client,amount,currency,date\nAna,1,EUR,01/02/2024\n"
    parsed, changes = run(("clients.csv", b"name\nAna\n"), ("deals.csv", unclear.encode()))
    assert [p.column for p in changes.problems] == ["closed_on"] and "--day-first" in changes.problems[0].reason
    told = plan(parsed.rows, EMPTY, TODAY, NOW, PlanOptions(order=DateOrder.MONTH_FIRST))
    assert told.problems == [] and told.new_deals[0].closed_on == date(2024, 1, 2)
    mixed = "client,amount,currency,date\nAna,1,EUR,31/01/2024\nAna,2,EUR,01/31/2024\nAna,3,EUR,2024-02-02\n"
    parsed, changes = run(("clients.csv", b"name\nAna\n"), ("deals.csv", mixed.encode()))
    assert [(p.row, p.reason) for p in changes.problems] == [
        (2, "the column has day-first (31/01/2024) and month-first (01/31/2024) dates; fix one"),
        (3, "the column has day-first (31/01/2024) and month-first (01/31/2024) dates; fix one"),
    ]


def test_a_problem_repeated_299_times_is_one_group_with_examples() -> None:
    from referrals.importing.report import group, report_csv

    rows = "".join(f"C{i},,Nobody {i % 3}\n" for i in range(299))
    parsed, changes = run(("big.csv", ("name,email,referred by\nAna,=cmd,\n" + rows).encode()))
    groups = group(parsed.problems + changes.problems)
    assert [(g.column, g.where()) for g in groups] == [("email", "row 2"), ("referred_by", "rows 3–301 (299 rows)")]
    text = str(groups[1])
    assert text.startswith("big.csv: referred_by no client or channel with this name, email or external id")
    assert text.endswith("e.g. row 3 'Nobody 0', row 4 'Nobody 1', row 5 'Nobody 2' and 296 more")
    csv_text = report_csv(parsed.problems + changes.problems)
    assert csv_text.count("\r\n") == 301 and "'=cmd" in csv_text  # every problem; no formula survives


def test_a_sheets_rows_are_numbered_as_the_spreadsheet_shows_them() -> None:
    book = xlsx({"Лист1": [[], [None, None], ["Имя", "Почта"], ["Анна", "anna@x.ru"], ["Борис", "не почта"]]})
    parsed, changes = run(("list.xlsx", book))
    assert [(p.row, p.column, p.value) for p in parsed.problems + changes.problems] == [(5, "email", "не почта")]
    with pytest.raises(TooLarge):  # the row cap of one request stops a streamed sheet at the first row past it
        read_file("list.xlsx", book, max_rows=1)


def test_an_imports_new_records_have_ids_in_the_order_of_their_rows() -> None:
    """Ids are drawn in batches for a big import: each is new, and they sort as the rows they came from."""
    rows = ["name,email,referred by,referred on"] + [
        f"C{i},c{i}@x.org,{f'c{i - 1}@x.org' if i else ''},2024-01-02" for i in range(2500)
    ]
    parsed, changes = run(("clients.csv", ("\n".join(rows) + "\n").encode()))
    assert lines(parsed, changes) == []
    clients, refs = [c.id for c in changes.new_clients], [r.id for r in changes.new_referrals]
    assert len(clients) == 2500 and len(refs) == 2499
    for ids, prefix in ((clients, "cl_"), (refs, "rf_")):
        assert ids == sorted(ids) and len(set(ids)) == len(ids) and all(i.startswith(prefix) for i in ids)
    assert [c.name for c in changes.new_clients] == [f"C{i}" for i in range(2500)]


def _far_cell_workbook(path: Path) -> bytes:
    """A workbook of a few KB whose sheet reaches cell XFD1048576: a full grid of 17 billion cells."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet["A1"], sheet["A2"], sheet["XFD1048576"] = "name", "Ana", "x"
    book.save(path)
    return path.read_bytes()


def test_a_workbook_reaching_the_last_cell_is_refused_by_name_not_a_crash(tmp_path: Path) -> None:
    """Read in a child Python, so that without the guard the test fails (the reader aborts its process)
    rather than taking pytest down; with it, the file is one problem, and a big legit sheet still reads."""
    data = _far_cell_workbook(tmp_path / "far.xlsx")
    assert len(data) < 10_000
    script = (
        "import sys; from referrals.importing.read import read_file;"
        "p = read_file('far.xlsx', sys.stdin.buffer.read());"
        "print(len(p.rows), *[x.reason for x in p.problems], sep='|')"
    )
    done = subprocess.run([sys.executable, "-c", script], input=data, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    rows, *reasons = done.stdout.decode().strip().split("|")
    assert rows == "0" and len(reasons) == 1 and "would take more than 4 GiB to open" in reasons[0]
    assert "save the data as CSV" in reasons[0]
    buf = io.BytesIO()
    import openpyxl

    book = openpyxl.Workbook()
    for row in [("name", "email"), *((f"Client {i}", f"c{i}@example.org") for i in range(3000))]:
        book.active.append(row)
    book.save(buf)
    parsed = read_file("big.xlsx", buf.getvalue())
    assert len(parsed.rows) == 3000 and parsed.problems == []
