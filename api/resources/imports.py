"""/imports: the same CSV/JSON import as `referrals import`, all or nothing, with the same report."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.auth import workspace_id
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.schemas import ImportReportSchema, ImportRequestSchema
from api.store import current_settings, current_store
from referrals.errors import FieldError, Invalid, TooLarge
from referrals.importing import Parsed, plan_files, read_file, too_many_rows

blp = blueprint("imports", "Imports: clients, channels, recommendations and deals from CSV or JSON files")


@blp.route("/imports")
class Imports(MethodView):
    """Bring files in."""

    @blp.arguments(ImportRequestSchema)
    @blp.response(200, ImportReportSchema)
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Import the files (CSV text or JSON documents, columns as in the README) in one transaction.

        With `dry_run` nothing is written and the report tells what would be. When any row has a problem
        the answer is 422 and its `errors` name each one as `file:row:column`; nothing is written. More
        rows than REFERRALS_MAX_IMPORT_ROWS (20,000 by default) in one request answer 413: the CLI's
        `referrals import` takes files of any size.
        """
        parsed = Parsed()
        max_rows = current_settings().max_import_rows
        for f in data["files"]:
            # the cap counts the rows of every file together; reading stops at the first row past it
            try:
                one = read_file(
                    f["name"], f["content"].encode(), data.get("kind"), max_rows=max_rows - len(parsed.rows)
                )
            except TooLarge:
                raise too_many_rows(max_rows) from None
            parsed.rows += one.rows
            parsed.problems += one.problems
        changes = current_store().run_import(workspace_id(), lambda view: plan_files(parsed, view), data["dry_run"])
        if changes.problems:
            raise Invalid(
                [
                    FieldError(f"{p.file}:{p.row}:{p.column}", f"{p.value!r}: {p.reason}" if p.value else p.reason)
                    for p in changes.problems
                ]
            )
        return {
            "dry_run": data["dry_run"],
            "written": 0 if data["dry_run"] else changes.writes,
            "summary": changes.summary,
        }
