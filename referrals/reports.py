"""Statement files: CSV, JSON and XLSX, byte-identical for identical data.

Rows are dicts of export columns, or lists of cells in the columns' order (a statement's rows, see
`attribution.row_cells`: ~10^5 of them in a big month, so no dict is made per row); amounts are exact
decimal strings in the rows and become numeric cells in XLSX. Nothing here reads a clock: XLSX metadata
and zip entries carry fixed timestamps, so the same statement always gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import operator
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from referrals.attribution import COLUMNS, Model, StatementRow, gc_paused, row_cells
from referrals.money import MINOR_UNITS, format_amount

FORMATS = ("csv", "json", "xlsx")
# Columns of free text (a name is whatever the user typed); the rest are money or whole numbers.
TEXT_COLUMNS = frozenset({"source_type", "source_id", "source_name", "currency"})
# A cell starting with one of these is read as a formula by spreadsheets (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EPOCH = datetime(2000, 1, 1)  # the document date of every workbook written, so equal content gives equal bytes
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


@gc_paused()
def side_by_side(statements: Mapping[Model, list[StatementRow]]) -> tuple[list[str], list[dict[str, Any]]]:
    """One row per source and currency with each model's credited amount in its own column."""
    columns = ["source_type", "source_id", "source_name", "currency", "new_clients_level_1", "new_clients"]
    columns += [m.value for m in statements]
    merged: dict[tuple[str, str | None], dict[str, Any]] = {}
    totals: dict[tuple[str, str | None], int] = {}
    for model, rows in statements.items():
        for r in rows:
            key = (r.source.id, r.currency)
            out = merged.setdefault(
                key,
                {
                    "source_type": r.source_type,
                    "source_id": r.source.id,
                    "source_name": r.name,
                    "currency": r.currency,
                    "new_clients_level_1": r.new_clients_level_1,
                    "new_clients": r.new_clients,
                },
            )
            out[model.value] = format_amount(r.amount, r.currency) if r.currency else "0"
            if not model.is_commission:
                totals[key] = totals.get(key, 0) + r.amount
    # a source credited in some model needs no count-only row from another model
    credited = {sid for sid, cur in merged if cur is not None}
    merged = {k: v for k, v in merged.items() if k[1] is not None or k[0] not in credited}
    for (_, cur), out in merged.items():
        for m in statements:
            out.setdefault(m.value, format_amount(0, cur) if cur else "0")
    order = sorted(merged, key=lambda k: (k[1] is None, k[1] or "", -totals.get(k, 0), k[0]))
    return columns, [merged[k] for k in order]


Rows = Sequence[Mapping[str, Any]] | Sequence[list[Any]]


@gc_paused()
def statement_rows(rows: Sequence[StatementRow]) -> tuple[list[str], list[list[Any]]]:
    """The export columns of one model's statement, and its rows as lists of cells in their order."""
    return COLUMNS, [row_cells(r) for r in rows]


def as_dicts(columns: Sequence[str], rows: Rows) -> list[dict[str, Any]]:
    """The rows as dicts of their columns, whichever way they came."""
    return [dict(zip(columns, r, strict=True)) if isinstance(r, list) else dict(r) for r in rows]


@gc_paused()
def render(columns: Sequence[str], rows: Rows, fmt: str, title: str = "credits") -> bytes:
    """The rows (dicts of columns, or lists of cells in the columns' order) as a file of format `fmt`
    (csv, json or xlsx)."""
    if fmt == "json":
        return (json.dumps(as_dicts(columns, rows), indent=2, ensure_ascii=False) + "\n").encode()
    if fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")  # rows as lists: a DictWriter checks every key of every row
        writer.writerow(columns)
        writer.writerows(_csv_cells(columns, rows))
        return buf.getvalue().encode()
    if fmt == "xlsx":
        return _xlsx(columns, as_dicts(columns, rows), title)
    raise ValueError(f"unknown format {fmt!r}")


def neutralise(text: str) -> str:
    """Text a spreadsheet would run as a formula, made inert by a leading apostrophe (OWASP advice)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _csv_text(text: str) -> str:
    # csv quotes a field holding "\n" but not one holding a lone "\r", which readers take for a row end
    return neutralise(text).replace("\r\n", "\n").replace("\r", "\n")


def _csv_cells(columns: Sequence[str], rows: Iterable[Mapping[str, Any] | list[Any]]) -> Iterator[list[Any]]:
    """Each row's cells in column order ("" where a row lacks a column), its text cells made inert: they
    cannot become formulas, and amounts (a refund's "-12.50") stay numbers."""
    cells = operator.itemgetter(*columns) if len(columns) > 1 else None  # one C call a row
    texts = [i for i, c in enumerate(columns) if c in TEXT_COLUMNS]
    for row in rows:
        if isinstance(row, list):
            values = row  # the row's own cells, in the columns' order: copied only to be changed
        else:
            try:
                values = list(cells(row)) if cells is not None else [row[columns[0]]]
            except KeyError:
                values = [row.get(c, "") for c in columns]
        for i in texts:
            v = values[i]
            if isinstance(v, str) and (v.startswith(FORMULA_STARTS) or "\r" in v):
                if values is row:
                    values = row.copy()
                values[i] = _csv_text(v)
        yield values


class FixedTimeZip(zipfile.ZipFile):
    """A zip writer that stamps every entry with the same date, so equal content gives equal bytes."""

    def writestr(self, zinfo_or_arcname: Any, data: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname, date_time=_ZIP_TIME)
            zinfo_or_arcname.compress_type = zipfile.ZIP_DEFLATED
        super().writestr(zinfo_or_arcname, data, *args, **kwargs)

    def write(self, filename: Any, arcname: Any = None, *args: Any, **kwargs: Any) -> None:
        with open(filename, "rb") as f:
            self.writestr(arcname or str(filename), f.read())


def amount_format(currency: str | None) -> str:
    """A spreadsheet number format with the currency's own decimals ("#,##0.00"; "#,##0" for JPY)."""
    digits = MINOR_UNITS[currency] if currency else 0
    return "#,##0" + ("." + "0" * digits if digits else "")


def _xlsx(columns: Sequence[str], rows: Sequence[Mapping[str, Any]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for r in rows:
        values: list[Any] = []
        for col in columns:
            v = r.get(col)
            if col in TEXT_COLUMNS or v is None or isinstance(v, int):
                values.append(v)
            else:
                values.append(Decimal(str(v)))
        sheet.append(values)
        for col_index, col in enumerate(columns, 1):
            cell = sheet.cell(row=sheet.max_row, column=col_index)
            if isinstance(cell.value, Decimal):
                cell.number_format = amount_format(r.get("currency"))
            elif col in TEXT_COLUMNS and isinstance(cell.value, str):
                # a string cell, never a formula (openpyxl reads a leading "=" as one): the name stays
                # exactly as typed and the spreadsheet shows it as text
                cell.data_type = "s"
    for col_index, col in enumerate(columns, 1):
        width = max([len(col)] + [len(str(r.get(col) or "")) for r in rows])
        sheet.column_dimensions[sheet.cell(row=1, column=col_index).column_letter].width = min(width + 2, 60)
    return workbook_bytes(wb)


def workbook_bytes(wb: Any, dated: date | None = None) -> bytes:
    """A workbook as the bytes of its file: created by "referrals" on `dated` (the data's day; EPOCH when
    none), every zip entry stamped alike, so the same content always gives the same bytes."""
    from openpyxl.writer.excel import ExcelWriter

    wb.properties.creator = "referrals"
    wb.properties.created = wb.properties.modified = (
        datetime(dated.year, dated.month, dated.day) if dated is not None else EPOCH
    )
    buf = io.BytesIO()
    with FixedTimeZip(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        ExcelWriter(wb, archive).save()
    return buf.getvalue()
