"""/imports: the same CSV/JSON import as `referrals import`, all or nothing, with the same report."""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Any

from flask.views import MethodView

from api.auth import workspace_id
from api.idempotency import HEADER_DOC
from api.resources import blueprint
from api.schemas import (
    ImportBatchListSchema,
    ImportListQuerySchema,
    ImportReportSchema,
    ImportRequestSchema,
    UndoneSchema,
)
from api.store import current_settings, current_store
from referrals.errors import FieldError, Invalid, TooLarge
from referrals.i18n import _
from referrals.importing import (
    DateOrder,
    Parsed,
    PlanOptions,
    ReadOptions,
    Undated,
    plan_files,
    read_file,
    too_many_rows,
)
from referrals.importing.columns import parse_mapping
from referrals.importing.report import refusal

blp = blueprint("imports", "Imports: clients, channels, recommendations and deals from CSV, JSON or spreadsheets")


@blp.route("/imports")
class Imports(MethodView):
    """Bring files in."""

    @blp.arguments(ImportListQuerySchema, location="query")
    @blp.response(200, ImportBatchListSchema)
    def get(self, query: dict[str, Any]) -> dict[str, Any]:
        """The imports that wrote into the workspace, newest first, each with its batch id."""
        return {"items": current_store().import_batches(workspace_id(), query["limit"])}

    @blp.arguments(ImportRequestSchema)
    @blp.response(200, ImportReportSchema)
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Import the files (CSV text, JSON documents or base64 spreadsheets; columns as in the README) in
        one transaction.

        With `dry_run` nothing is written and the report tells what would be. When any row has a problem
        the answer is 422, its `errors` name each one as `file:row:column` and its `groups` gather them by
        column and reason (rows, count, examples), as the CLI prints them; nothing is written. More
        rows than REFERRALS_MAX_IMPORT_ROWS (20,000 by default) in one request answer 413: the CLI's
        `referrals import` takes files of any size.
        """
        try:
            mapping = parse_mapping(f"{k}={v}" for k, v in data["map"].items())
        except Invalid as e:
            raise Invalid([FieldError("map", err.reason) for err in e.errors]) from None
        order = DateOrder(data["date_order"]) if data.get("date_order") else None
        plan_opts = PlanOptions(order=order, undated=Undated(data["undated"]), update=data["update"])
        parsed = Parsed()
        max_rows = current_settings().max_import_rows
        for i, f in enumerate(data["files"]):
            opts = ReadOptions(
                kind=data.get("kind"),
                encoding=f["encoding"],
                sheets=tuple(data["sheets"]),
                mapping=mapping,
                strict=data["strict"],
                format=data.get("format"),
            )
            if f["content"] is not None:
                content = f["content"].encode()
                opts = replace(opts, encoding="utf-8")
            else:
                try:
                    content = base64.b64decode(f["content_base64"], validate=True)
                except (binascii.Error, ValueError):  # a non-ASCII character is a ValueError
                    raise Invalid.one(f"files.{i}.content_base64", _("not base64")) from None
            # the cap counts the rows of every file together; reading stops at the first row past it
            try:
                one = read_file(f["name"], content, max_rows=max_rows - len(parsed.rows), opts=opts)
            except TooLarge:
                raise too_many_rows(max_rows) from None
            parsed.add(one)
        changes = current_store().run_import(
            workspace_id(),
            lambda view: plan_files(parsed, view, plan_opts),
            data["dry_run"],
            files=[f["name"] for f in data["files"]],
        )
        if changes.problems:
            raise refusal(changes.problems)
        return {
            "dry_run": data["dry_run"],
            "written": 0 if data["dry_run"] else changes.writes,
            "summary": changes.summary,
            "dated": changes.dated,
            "warnings": [f"{w.file}: {w.column}: {w.reason}" for w in changes.warnings],
            "matches": changes.matches,
            "batch": changes.batch,
        }


@blp.route("/imports/<batch_id>/undo")
class ImportUndo(MethodView):
    """Take an import back."""

    @blp.response(200, UndoneSchema)
    @blp.doc(parameters=[HEADER_DOC])
    def post(self, batch_id: str) -> Any:
        """Remove what the import created and restore what it updated, all or nothing. 409 when it was
        undone already, or while later changes depend on it: its `errors` name each (a record changed or
        deleted since, a recommendation or deal that involves a client it created, a deal of a month
        closed since)."""
        return current_store().undo_import(workspace_id(), batch_id)
