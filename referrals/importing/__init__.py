"""Reading the lists people already keep (CSV, JSON, spreadsheets) into a checked plan of changes.

Pure functions: files in, rows out (`read`), values read as written (`cells`), then a plan against what
the workspace already holds (`plan`) and a report a person can read (`report`). Nothing is written
here; `graph` applies a plan in one transaction. Every problem becomes a report line naming the file,
row, column, value and reason, and a plan with any problem is never applied.

Columns (headers matched case-, space- and accent-insensitively, in English and Russian; `--map
"Header=field"` for any other; the full table is `columns.ALIASES`):

* clients: `name` (or `first_name` / `middle_name` / `last_name`, e.g. Имя, Отчество, Фамилия), `email`,
  `phone` (stored in E.164, see REFERRALS_PHONE_REGION), `status`, `tags` (separated by ";" or "|"),
  `external_id`, `notes`, `acquired_on`, and, to record who recommended the client in the same file,
  `referred_by` ("Кто порекомендовал", "Откуда пришёл") — a client's name, email or external id, or a
  channel's name — with `referred_on` (when missing: `acquired_on`, or the --undated policy);
* channels: `channel` (or `name` with `kind`), `kind`, `url`, `external_id`, `notes`;
* referrals: `client` and `referred_by`, `referred_on`, `notes`;
* deals: `client`, `amount` (with its currency symbol or code, if the file has no currency column),
  `currency`, `closed_on`, `title`, `external_id`.

A table is read as deals when it has an amount column, as clients when it has a name, as channels when
it has a channel (or kind) column, and as referrals otherwise. Columns no field reads are kept in the
record's notes ("Header: value" lines) with one warning per file, or refused with `strict`.
"""

from referrals.importing.cells import CellError, DateOrder, cell_amount, cell_currency, cell_date, cell_tags
from referrals.importing.changes import Changes, PlanOptions, Undated, View
from referrals.importing.plan import plan, plan_files
from referrals.importing.read import (
    KINDS,
    Parsed,
    Problem,
    ReadOptions,
    Row,
    read_all,
    read_csv,
    read_file,
    read_json,
    read_sheets,
    too_many_rows,
)

__all__ = [
    "KINDS",
    "CellError",
    "Changes",
    "DateOrder",
    "Parsed",
    "PlanOptions",
    "Problem",
    "ReadOptions",
    "Row",
    "Undated",
    "View",
    "cell_amount",
    "cell_currency",
    "cell_date",
    "cell_tags",
    "plan",
    "plan_files",
    "read_all",
    "read_csv",
    "read_file",
    "read_json",
    "read_sheets",
    "too_many_rows",
]
