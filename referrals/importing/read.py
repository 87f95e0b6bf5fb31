"""Reading files into rows: CSV (any of , ; tab |, BOM, any encoding), JSON, and spreadsheets (.xlsx,
.xlsm, .xls, .ods through python-calamine), each row's cells keyed by the field its column holds.

Nothing here judges a value; `plan` does. A column whose header names no field is kept (its values go
to the record's notes, with the header) and reported once as a warning, or refused with `strict`.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from referrals.errors import TooLarge
from referrals.i18n import _
from referrals.importing.columns import IGNORE, field_of
from referrals.importing.formats import BY_NAME, KEEP, MULTI, is_telegram, profile_of, telegram_rows, vcard_rows

KINDS = ("channels", "clients", "referrals", "deals")
# What --format can force: a container, or the export a CSV comes from (its profile).
FORMATS = ("csv", "json", "sheet", "vcard", "telegram", *BY_NAME)
SHEET_SUFFIXES = (".xlsx", ".xlsm", ".xlsb", ".xls", ".ods")
NAME_PARTS = ("first_name", "middle_name", "last_name")


@dataclass(frozen=True, slots=True)
class Problem:
    """One line of an import report."""

    file: str
    row: int  # 1 = the header line of a CSV or sheet; 0 = the file as a whole
    column: str
    value: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row else self.file
        value = f" {self.value!r}" if self.value else ""
        return f"{where} {self.column}{value}: {self.reason}"


@dataclass
class Row:
    """One data row: its kind, where it came from, and its values by field."""

    kind: str
    file: str
    row: int
    values: dict[str, str]
    extras: dict[str, str] = field(default_factory=dict)  # header -> value of the columns no field reads
    plain: frozenset[str] = frozenset()  # fields whose value came typed (a spreadsheet number or date)


@dataclass
class Parsed:
    """Rows of every file, the problems met while reading them, and warnings that write nothing off."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def add(self, other: Parsed) -> None:
        self.rows += other.rows
        self.problems += other.problems
        self.warnings += other.warnings


@dataclass(frozen=True)
class ReadOptions:
    """How files are read."""

    kind: str | None = None  # what every table holds; None: told from its columns
    encoding: str = "utf-8"  # of CSV files
    sheets: tuple[str, ...] = ()  # sheets of a workbook to read; empty: every sheet with data
    mapping: Mapping[str, str] = field(default_factory=dict)  # folded header -> field or IGNORE (--map)
    strict: bool = False  # refuse columns no field reads instead of keeping them in notes
    format: str | None = None  # one of FORMATS; None: told from the file's name and content


def kind_of(columns: set[str], given: str | None) -> str:
    """What a table holds, told from its fields when not given."""
    if given:
        return given
    if "amount" in columns:
        return "deals"
    if ("name" in columns or columns & set(NAME_PARTS)) and "kind" not in columns:
        return "clients"
    if "channel" in columns or "kind" in columns:
        return "channels"
    if "client" in columns and "referred_by" not in columns:
        return "clients"  # a list of clients under a "Client" header
    return "referrals"


def too_many_rows(max_rows: int) -> TooLarge:
    """The refusal of an import over the row cap of one request."""
    return TooLarge(
        "files",
        _(
            "more than %(n)s rows in one request: split the files, or import them with `referrals import`"
            " on the command line, which has no row cap",
            n=max_rows,
        ),
    )


def _codec(encoding: str) -> str:
    return "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding


def _decode(name: str, data: bytes, encoding: str, problems: list[Problem]) -> str | None:
    try:
        return data.decode(_codec(encoding))
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        problems.append(
            Problem(
                name,
                line,
                "(file)",
                "",
                _(
                    "not valid %(encoding)s at byte %(byte)s; save the file as UTF-8 or pass --encoding (e.g. cp1251)",
                    encoding=encoding,
                    byte=e.start,
                ),
            )
        )
        return None
    except LookupError:
        problems.append(Problem(name, 0, "(file)", "", _("unknown encoding %(encoding)r", encoding=encoding)))
        return None


_NOTHING: frozenset[str] = frozenset()
_NOTES_OF = {"clients": "notes", "channels": "notes", "referrals": "note"}


class _Table:
    """A header matched to fields, then its rows turned into Rows."""

    def __init__(self, name: str, header: Sequence[str], opts: ReadOptions, out: Parsed) -> None:
        self.name, self.out = name, out
        self.fields: list[str | None] = []
        self.headers = [str(h).strip() for h in header]
        forced = opts.format if opts.format in BY_NAME else None
        self.profile = profile_of(self.headers, forced)
        self.quiet: set[str] = set()  # headers kept in the notes because the export's profile says so
        ignored: set[str] = set()  # headers read as nothing (--map "H=ignore", or the export's profile)
        unknown: list[str] = []
        for h in self.headers:
            f = self._field(h, opts) if h else None
            if f == KEEP:
                self.quiet.add(h)
                f = None
            elif f is None and h:
                if opts.strict:
                    out.problems.append(Problem(name, 1, h, "", _("unknown column; see the README, or --map it")))
                unknown.append(h)
            if f is not None and f != IGNORE and f not in MULTI and f in self.fields:
                out.problems.append(Problem(name, 1, h, "", _("a second column for %(field)s", field=f)))
            if f == IGNORE:
                ignored.add(h)
            self.fields.append(None if f == IGNORE else f)
        present = {f for f in self.fields if f}
        self.kind = kind_of(present, opts.kind)
        if self.kind == "deals" and "client" not in present and "name" in present:
            self.fields = ["client" if f == "name" else f for f in self.fields]
        if self.kind == "clients" and "name" not in present and "client" in present:
            self.fields = ["name" if f == "client" else f for f in self.fields]
        self.keep = {h for h, f in zip(self.headers, self.fields, strict=True) if f is None and h} - ignored
        self.parts = bool(set(self.fields) & set(NAME_PARTS))  # first/middle/last name columns to join
        target = _NOTES_OF.get(self.kind)
        if unknown and not opts.strict:
            where = _("kept in each row's %(field)s", field=target) if target else _("ignored (a deal has no notes)")
            listed = ", ".join(repr(u) for u in unknown)
            out.warnings.append(
                Problem(
                    name,
                    1,
                    listed,
                    "",
                    _("not a field: %(what)s; --map 'Header=field' reads it, --strict refuses", what=where),
                )
            )
        if not target:
            self.keep = set()

    def _field(self, header: str, opts: ReadOptions) -> str | None:
        """The user's mapping first, then the export's profile, then the common header names."""
        mapped = field_of(header, opts.mapping) if opts.mapping else None
        if mapped is None and self.profile is not None:
            mapped = self.profile.field_of(header)
        return mapped or field_of(header, {})

    def row(self, number: int, cells: Sequence[Any], max_rows: int | None) -> None:
        if len(cells) > len(self.fields) and any(_text(c) for c in cells[len(self.fields) :]):
            self.out.problems.append(
                Problem(
                    self.name,
                    number,
                    "(row)",
                    "",
                    _("%(cells)s cells for %(columns)s columns", cells=len(cells), columns=len(self.fields)),
                )
            )
            return
        values: dict[str, str] = {}
        extras: dict[str, str] = {}
        plain: set[str] = set()
        for h, f, c in zip(self.headers, self.fields, cells, strict=False):
            text = _text(c) if c.__class__ is not str or "\r" in c else c.strip()
            if not text:
                continue
            if f and f in values:  # a second phone or email column: the first filled one is the record's
                extras[h] = text
            elif f:
                values[f] = text
                if not isinstance(c, str):
                    plain.add(f)
            elif h in self.keep:
                extras[h] = text
        if not values and not extras:
            return
        if self.parts:
            if "name" not in values and any(p in values for p in NAME_PARTS):
                values["name"] = " ".join(values[p] for p in NAME_PARTS if p in values)
            for p in NAME_PARTS:
                values.pop(p, None)
        if max_rows is not None and len(self.out.rows) >= max_rows:
            raise too_many_rows(max_rows)
        self.out.rows.append(Row(self.kind, self.name, number, values, extras, frozenset(plain) if plain else _NOTHING))


def _text(cell: Any) -> str:
    """A cell as text; typed spreadsheet and JSON values in their plain form (numbers exact as shown)."""
    if cell is None:
        return ""
    if isinstance(cell, str):
        text = cell.strip()
        return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text  # a quoted newline
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int):
        return str(cell)
    if isinstance(cell, float):
        # The shortest text that reads back as this double: the digits the spreadsheet shows.
        if cell != cell or abs(cell) == float("inf"):
            return ""
        return str(int(cell)) if cell.is_integer() else format(Decimal(repr(cell)), "f")
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, time | timedelta):
        return str(cell)
    return str(cell).strip()


def read_csv(
    name: str,
    data: bytes,
    kind: str | None = None,
    encoding: str = "utf-8",
    max_rows: int | None = None,
    opts: ReadOptions | None = None,
) -> Parsed:
    """Rows of one CSV file: BOM dropped, delimiter (, ; tab |) sniffed from the header, headers matched.

    The text is decoded as it is read (no second copy of the file in memory); TooLarge past `max_rows`.
    """
    opts = opts or ReadOptions(kind=kind, encoding=encoding)
    encoding = opts.encoding
    out = Parsed()
    try:
        codecs.lookup(_codec(encoding))
    except LookupError:
        out.problems.append(Problem(name, 0, "(file)", "", _("unknown encoding %(encoding)r", encoding=encoding)))
        return out
    try:
        first = data.split(b"\n", 1)[0].decode(_codec(encoding))
    except UnicodeDecodeError:
        _decode(name, data, encoding, out.problems)  # names the byte at fault
        return out
    delimiter = max(",;\t|", key=first.count) if first else ","
    stream = io.TextIOWrapper(io.BytesIO(data), encoding=_codec(encoding), newline="")
    reader = csv.reader(stream, delimiter=delimiter)
    try:
        _read_table(name, reader, opts, out, max_rows, lambda: reader.line_num)
    except UnicodeDecodeError:
        _decode(name, data, encoding, out.problems)  # only on this error path: decode all to find the byte
    return out


def _read_table(
    name: str,
    rows: Iterator[Sequence[Any]],
    opts: ReadOptions,
    out: Parsed,
    max_rows: int | None,
    line: Any = None,
    offset: int = 0,
) -> None:
    """A header line (after any preamble) and the rows under it; `offset` blank lines came before it."""
    try:
        header = next(rows)
    except StopIteration:
        out.problems.append(Problem(name, 0, "(file)", "", _("the file is empty")))
        return
    except csv.Error as e:
        out.problems.append(Problem(name, 1, "(header)", "", _("unreadable CSV (%(error)s)", error=e)))
        return
    number = 1
    skipped: list[Sequence[Any]] = []
    while _known(header, opts) < 2 and len(skipped) < PREAMBLE_LINES:  # a preamble (LinkedIn's "Notes:")
        try:
            following = next(rows)
        except StopIteration:
            break
        except csv.Error as e:  # a broken line among the first ones (an unclosed quote, say)
            where = line() if line else offset + len(skipped) + 2
            out.problems.append(Problem(name, where, "(row)", "", _("unreadable CSV (%(error)s)", error=e)))
            return
        skipped.append(header)
        header = following
    if _known(header, opts) < 2 and skipped:  # no better header further down: the first line is the header
        rows = itertools.chain([*skipped[1:], header], rows)  # the rest still read line by line
        header = skipped[0]
        skipped = []
    first = offset + len(skipped) + 2
    table = _Table(name, [_text(h) for h in header], opts, out)
    try:
        for number, cells in enumerate(rows, first):
            table.row(number, cells, max_rows)
    except csv.Error as e:
        out.problems.append(
            Problem(name, line() if line else number, "(row)", "", _("unreadable CSV (%(error)s)", error=e))
        )


PREAMBLE_LINES = 10  # lines before the header a file may have (LinkedIn's "Notes:" paragraph)


def _known(header: Sequence[Any], opts: ReadOptions) -> int:
    """How many cells of a line name a field (as a header would)."""
    texts = [_text(h) for h in header]
    table_profile = profile_of(texts, opts.format if opts.format in BY_NAME else None)
    count = 0
    for t in texts:
        if not t:
            continue
        f = field_of(t, opts.mapping) or (table_profile.field_of(t) if table_profile else None) or field_of(t, {})
        count += f is not None
    return count


def read_vcard(name: str, data: bytes, opts: ReadOptions, max_rows: int | None = None) -> Parsed:
    """Clients of a vCard file (.vcf: a phone's or Google's export), one per card; a card's number is its row."""
    out = Parsed()
    text = _decode(name, data, opts.encoding, out.problems)
    if text is None:
        return out
    try:
        cards = list(vcard_rows(text))
    except Exception as e:  # the parser's errors carry the line at fault: report, never crash
        out.problems.append(Problem(name, 0, "(file)", "", _("not a vCard file (%(error)s)", error=e)))
        return out
    if not cards:
        out.problems.append(Problem(name, 0, "(file)", "", _("no vCard (BEGIN:VCARD … END:VCARD) in the file")))
    for number, (values, kept) in enumerate(cards, 1):
        if max_rows is not None and len(out.rows) >= max_rows:
            raise too_many_rows(max_rows)
        out.rows.append(Row("clients", name, number, values, kept))
    return out


def read_sheets(name: str, data: bytes, opts: ReadOptions, max_rows: int | None = None) -> Parsed:
    """Rows of a workbook (.xlsx, .xls, .ods): each sheet asked for, or every sheet with data, read as a
    table of its own ("file[sheet]" in the report); numbers and dates as the cells hold them."""
    from python_calamine import CalamineWorkbook

    from referrals.importing.sheet_check import CAPPED_CEILING_BYTES, CEILING_BYTES, TIMEOUT_SECONDS, too_large

    out = Parsed()
    ceiling = CEILING_BYTES if max_rows is None else CAPPED_CEILING_BYTES  # a request's rows are capped
    beyond = too_large(data, opts.sheets, ceiling)  # opened first where a hostile file can only end a child
    if beyond == "memory":
        out.problems.append(
            Problem(
                name,
                0,
                "(file)",
                "",
                _(
                    "its sheets would take more than %(gib)s GiB to open (a cell far past the data makes a sheet"
                    " that large): delete the far cells, or save the data as CSV",
                    gib=ceiling // 1024**3,
                ),
            )
        )
        return out
    if beyond == "time":
        out.problems.append(
            Problem(
                name,
                0,
                "(file)",
                "",
                _("it takes more than %(s)s s to open: save the data as CSV", s=TIMEOUT_SECONDS),
            )
        )
        return out
    try:
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as e:  # the reader's own error types vary by format: report, never crash
        out.problems.append(Problem(name, 0, "(file)", "", _("not a spreadsheet this tool reads (%(error)s)", error=e)))
        return out
    names = list(book.sheet_names)
    for wanted in opts.sheets:
        if wanted not in names:
            listed = ", ".join(repr(n) for n in names)
            out.problems.append(
                Problem(name, 0, "(sheet)", wanted, _("no such sheet; the file has %(sheets)s", sheets=listed))
            )
    chosen = [n for n in names if n in opts.sheets] if opts.sheets else names
    read = 0
    for sheet in chosen:
        rows = book.get_sheet_by_name(sheet).iter_rows()  # streamed: a row cap stops the reading early
        blank = 0
        for first in rows:
            if any(_text(c) for c in first):
                break
            blank += 1
        else:
            continue
        read += 1
        label = f"{name}[{sheet}]" if len(names) > 1 else name
        _read_table(label, itertools.chain([first], rows), opts, out, max_rows, offset=blank)
    if not read and not out.problems:
        out.problems.append(Problem(name, 0, "(file)", "", _("the workbook has no data")))
    return out


class _JsonObject(dict):  # type: ignore[type-arg]
    """A JSON object as read, with the keys it gave more than once (`twice`; the last value is kept)."""

    __slots__ = ("twice",)


def _json_object(pairs: list[tuple[str, Any]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    obj.twice = []
    if len(obj) != len(pairs):
        seen: set[str] = set()
        for key, _value in pairs:
            if key in seen and key not in obj.twice:
                obj.twice.append(key)
            seen.add(key)
    return obj


def read_json(name: str, data: bytes, max_rows: int | None = None, opts: ReadOptions | None = None) -> Parsed:
    """Rows of a JSON file: {"channels": [...], "clients": [...], "referrals": [...], "deals": [...]}, or
    one list of objects read like a CSV of that shape. Row numbers count objects from 1 within a list."""
    opts = opts or ReadOptions()
    out = Parsed()
    text = _decode(name, data, "utf-8", out.problems)
    if text is None:
        return out
    try:
        doc = json.loads(text, object_pairs_hook=_json_object)
    except ValueError as e:
        out.problems.append(Problem(name, 0, "(file)", "", _("not JSON (%(error)s)", error=e)))
        return out
    except RecursionError:
        out.problems.append(Problem(name, 0, "(file)", "", _("JSON nested too deeply")))
        return out
    lists: list[tuple[str | None, Any]] = []
    if is_telegram(doc):
        for number, values, kept in telegram_rows(doc):
            if not values:
                out.problems.append(Problem(name, number, "(row)", "", _("a contact with no name and no phone")))
                continue
            if max_rows is not None and len(out.rows) >= max_rows:
                raise too_many_rows(max_rows)
            out.rows.append(Row("clients", name, number, values, kept))
        return out
    if isinstance(doc, dict):
        for key in doc.twice:  # a second list of one kind would silently replace the first
            out.problems.append(Problem(name, 0, key, "", _("given twice in one object; give it once")))
        for key in doc:
            if key not in KINDS:
                out.problems.append(
                    Problem(name, 0, key, "", _("unknown section; use %(kinds)s", kinds=", ".join(KINDS)))
                )
        lists = [(k, doc[k]) for k in KINDS if k in doc]
    elif isinstance(doc, list):
        lists = [(None, doc)]
    else:
        out.problems.append(Problem(name, 0, "(file)", "", _("expected an object of lists or a list of objects")))
    for kind, items in lists:
        if not isinstance(items, list):
            out.problems.append(Problem(name, 0, kind or "(file)", "", _("expected a list of objects")))
            continue
        _json_rows(name, kind or opts.kind, items, opts, out, max_rows)
    return out


def _json_rows(
    name: str, kind: str | None, items: list[Any], opts: ReadOptions, out: Parsed, max_rows: int | None
) -> None:
    keys: list[str] = []
    for item in items:
        if isinstance(item, dict):
            keys += [str(k) for k in item if str(k) not in keys]
    table = _Table(name, keys, ReadOptions(kind=kind, mapping=opts.mapping, strict=True), Parsed())
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict):
            out.problems.append(Problem(name, number, "(row)", "", _("expected an object")))
            continue
        cells = []
        for key in keys:
            value = item.get(key)
            if isinstance(value, list):
                value = ";".join(str(v) for v in value)
            elif isinstance(value, dict):
                value = json.dumps(value)
            cells.append(value)
        for key in item:
            if table.fields[keys.index(str(key))] is None:
                out.problems.append(Problem(name, number, str(key), "", _("unknown field")))
        for key in getattr(item, "twice", ()):  # which of its values was meant is a guess
            out.problems.append(Problem(name, number, key, "", _("given twice in one object; give it once")))
        table.out = out
        table.row(number, cells, max_rows)


def is_sheet(name: str, data: bytes) -> bool:
    """A workbook, by its name or its first bytes (a zip: .xlsx/.ods; an OLE file: .xls)."""
    return (
        name.lower().endswith(SHEET_SUFFIXES)
        or data[:4] == b"PK\x03\x04"
        or data[:8] == bytes.fromhex("d0cf11e0a1b11ae1")
    )


def read_file(
    name: str,
    data: bytes,
    kind: str | None = None,
    encoding: str = "utf-8",
    max_rows: int | None = None,
    opts: ReadOptions | None = None,
) -> Parsed:
    """A CSV, JSON or spreadsheet file, told apart by its name or its first bytes; at most `max_rows` rows."""
    opts = opts or ReadOptions(kind=kind, encoding=encoding)
    fmt = opts.format
    stripped = data[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if fmt == "sheet" or (fmt is None and is_sheet(name, data)):
        return read_sheets(name, data, opts, max_rows)
    if fmt == "vcard" or (
        fmt is None and (name.lower().endswith((".vcf", ".vcard")) or stripped[:11].upper() == b"BEGIN:VCARD")
    ):
        return read_vcard(name, data, opts, max_rows)
    if fmt in ("json", "telegram") or (
        fmt is None and (name.lower().endswith(".json") or stripped[:1] in (b"{", b"["))
    ):
        return read_json(name, data, max_rows, opts)
    return read_csv(name, data, max_rows=max_rows, opts=opts)


def read_all(files: Iterable[tuple[str, bytes]], opts: ReadOptions, max_rows: int | None = None) -> Parsed:
    """Every file, in order, with the row cap counted over all of them."""
    out = Parsed()
    for name, data in files:
        out.add(read_file(name, data, max_rows=None if max_rows is None else max_rows - len(out.rows), opts=opts))
    return out
