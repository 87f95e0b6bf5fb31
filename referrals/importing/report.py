"""An import report a person can read: problems grouped by column and reason, with row ranges and a
few examples, and the full list as CSV (`--report FILE`)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from referrals.errors import FieldError, Invalid
from referrals.i18n import _, ngettext
from referrals.importing.read import Problem
from referrals.reports import neutralise

EXAMPLES = 3  # examples shown per group


@dataclass
class Group:
    """Problems of one file with the same column and reason (the value left out of the reason)."""

    file: str
    column: str
    reason: str
    rows: list[int] = field(default_factory=list)
    examples: list[Problem] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.rows)

    def where(self) -> str:
        """ "row 4", or "rows 3–302 (299 rows)", or "rows 3–5, 9 (4 rows)"; the file itself when row 0."""
        real = [r for r in self.rows if r]
        if not real:
            return _("the file")
        text = spans(real)
        if len(real) == 1:
            return _("row %(rows)s", rows=text)
        return _("rows %(rows)s (%(n)s rows)", rows=text, n=len(real))

    def __str__(self) -> str:
        head = f"{self.file}: {self.column} {self.reason} — {self.where()}"
        shown = [_("row %(row)s %(value)r", row=p.row, value=p.value) for p in self.examples if p.value and p.row]
        more = self.count - len(self.examples)
        if shown:
            head += "; " + _("e.g. %(examples)s", examples=", ".join(shown))
            head += " " + _("and %(n)s more", n=more) if more > 0 else ""
        return head


def _general(p: Problem) -> str:
    """The reason without the value it quotes, so rows with different values group together."""
    quoted = repr(p.value)
    if p.value and p.reason.startswith(quoted):
        rest = p.reason[len(quoted) :].lstrip(" :")
        return _("value %(reason)s", reason=rest) if rest else p.reason
    return p.reason


def spans(numbers: Iterable[int]) -> str:
    """1, 2, 3, 5, 7, 8 -> "1–3, 5, 7–8"."""
    out: list[str] = []
    ordered = sorted(set(numbers))
    start = prev = None
    for n in [*ordered, None]:
        if start is not None and (n is None or n != prev + 1):
            out.append(str(start) if start == prev else f"{start}–{prev}")
            start = None
        if n is not None and start is None:
            start = n
        prev = n
    return ", ".join(out)


def group(problems: Sequence[Problem]) -> list[Group]:
    """Problems grouped by file, column and reason, in the order each group first appears."""
    groups: dict[tuple[str, str, str], Group] = {}
    for p in problems:
        key = (p.file, p.column, _general(p))
        g = groups.get(key)
        if g is None:
            g = groups[key] = Group(p.file, p.column, key[2])
        g.rows.append(p.row)
        if len(g.examples) < EXAMPLES:
            g.examples.append(p)
    return list(groups.values())


def report_csv(problems: Sequence[Problem]) -> str:
    """Every problem, one a line: file, row, column, value, reason (cells safe to open in a spreadsheet)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(["file", "row", "column", "value", "reason"])
    for p in problems:
        w.writerow([neutralise(p.file), p.row, neutralise(p.column), neutralise(p.value), neutralise(p.reason)])
    return buf.getvalue()


def refusal(problems: Sequence[Problem]) -> Invalid:
    """The error of an import with problems: one field error per problem (`file:row:column`) and, as the
    `groups` member of an HTTP answer, the same grouped as the CLI prints them."""
    groups = group(problems)
    error = Invalid(
        [
            FieldError(f"{p.file}:{p.row}:{p.column}", f"{p.value!r}: {p.reason}" if p.value else p.reason)
            for p in problems
        ]
    )
    error.message = _(
        "%(problems)s of %(kinds)s in the files; nothing was written",
        problems=ngettext("%(n)s problem", "%(n)s problems", len(problems)),
        kinds=ngettext("%(n)s kind", "%(n)s kinds", len(groups)),
    )
    error.extensions = {
        "groups": [
            {
                "file": g.file,
                "column": g.column,
                "reason": g.reason,
                "rows": spans(r for r in g.rows if r),
                "count": g.count,
                "examples": [{"row": p.row, "value": p.value} for p in g.examples],
                "text": str(g),
            }
            for g in groups
        ]
    }
    return error
