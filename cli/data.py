"""`referrals backup`, `restore` and `migrate`: every workspace object out and back in, losslessly."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn
from rich.table import Table

from cli.main import CONTEXT, AppContext, DefaultCommandGroup, FilePath, cli, held_text
from cli.resolve import resolve_workspace, workspace_option
from graph import open_store
from referrals import i18n
from referrals.errors import Invalid
from referrals.i18n import _
from referrals.importing import KINDS, DateOrder, Parsed, PlanOptions, ReadOptions, Undated, plan_files, read_file
from referrals.importing.columns import parse_mapping
from referrals.importing.read import FORMATS
from referrals.importing.report import group, report_csv
from referrals.usecases.transfer import backup as write_backup
from referrals.usecases.transfer import migrate as copy_workspace
from referrals.usecases.transfer import restore as read_backup

GROUPS_SHOWN = 20  # kinds of problem an import prints; --report FILE has every one
MATCHES_SHOWN = 50  # rows matched to a client that an import lists


def _summary(counts: dict[str, int]) -> str:
    return held_text(counts, _("nothing"))


@cli.command("backup", context_settings=CONTEXT)
@click.option(
    "--output",
    "-o",
    required=True,
    type=FilePath(dir_okay=False, allow_dash=True),
    help="File to write, - for stdout.",
)
@workspace_option
@click.pass_obj
def backup(app: AppContext, output: str, workspace: str | None) -> None:
    """Write a workspace to a backup file (JSON Lines, see README): clients, channels, every recommendation
    with its history, deals, closed months and token hashes. Streams: memory stays flat.

    The file is written next to OUTPUT and renamed into place at the end, so a failed backup never
    leaves a partial file behind.
    """
    ws = resolve_workspace(app.store, workspace)
    if output == "-":
        counts = write_backup(app.store, ws, sys.stdout.buffer)
    else:
        path = Path(output)
        if not path.parent.is_dir():
            raise Invalid.one("output", _("there is no folder %(folder)s to write into", folder=str(path.parent)))
        partial = path.with_name(path.name + ".partial")
        try:
            try:
                out = partial.open("wb")
            except OSError as e:
                raise Invalid.one(
                    "output", _("%(path)s cannot be written (%(reason)s)", path=output, reason=e.strerror)
                ) from None
            with out:
                counts = write_backup(app.store, ws, out)
            partial.replace(path)
        finally:
            partial.unlink(missing_ok=True)
    click.echo(_("backed up %(workspace)s: %(what)s", workspace=ws, what=_summary(counts)), err=True)


@cli.command("restore", context_settings=CONTEXT)
@click.argument("file", type=FilePath(dir_okay=False, allow_dash=True, exists=True))
@click.pass_obj
def restore(app: AppContext, file: str) -> None:
    """Restore a backup FILE (- for stdin) into this store: the workspace comes back with the same ids,
    times, history and tokens. All or nothing: a damaged or altered file writes nothing. The workspace
    must not exist in this store yet."""
    app.store.init_schema()
    if file == "-":
        ws, counts = read_backup(app.store, sys.stdin.buffer)
    else:
        with open(file, "rb") as lines:
            ws, counts = read_backup(app.store, lines)
    click.echo(_("restored %(id)s (%(name)s): %(what)s", id=ws.id, name=ws.name, what=_summary(counts)))


@cli.command("migrate", context_settings=CONTEXT)
@click.option("--from", "source_url", required=True, help="Store to copy from, e.g. sqlite:///referrals.db.")
@click.option("--to", "target_url", required=True, help="Store to copy into, e.g. neo4j://user:pass@host:7687.")
@workspace_option
def migrate(source_url: str, target_url: str, workspace: str | None) -> None:
    """Copy a workspace from one store to another (the embedded store to Neo4j, or back), streamed, then
    verify the copy: both stores must give the same counts and the same content checksum."""
    source, target = open_store(source_url), open_store(target_url)
    try:
        target.init_schema()
        ws = resolve_workspace(source, workspace)
        digest, counts = copy_workspace(source, target, ws)
    finally:
        source.close()
        target.close()
    click.echo(
        _(
            "migrated %(workspace)s: %(what)s; verified, sha256 %(digest)s",
            workspace=ws,
            what=_summary(counts),
            digest=digest,
        )
    )


class FilesOrCommand(DefaultCommandGroup):
    """`referrals import FILE…` imports the files; `referrals import list` and `import undo BATCH`
    manage what earlier imports wrote. Anything that is not one of those commands is the files."""

    default = "files"


@cli.group("import", cls=FilesOrCommand, context_settings=CONTEXT)
def import_group() -> None:
    """Import FILES (`referrals import FILE…`, the same as `referrals import files FILE…`), list the
    imports written so far, or undo one of them.

    Every import that writes is a batch with an id (im_…): `referrals import list` shows them, and
    `referrals import undo BATCH` takes one back.
    """


@import_group.command("files", context_settings=CONTEXT)
@click.argument("files", nargs=-1, required=True, type=FilePath(dir_okay=False, exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check everything and print the report; write nothing.")
@click.option(
    "--kind",
    type=click.Choice(KINDS, case_sensitive=False),
    help="What the files hold (default: told from their columns).",
)
@click.option(
    "--encoding", default="utf-8", show_default=True, help="Text encoding of CSV files (e.g. cp1251, cp1252)."
)
@click.option("--sheet", "sheets", multiple=True, help="Sheet of a workbook to read (repeat; default: every sheet).")
@click.option(
    "--map",
    "mapping",
    multiple=True,
    metavar="'HEADER=FIELD'",
    help="Read a column as a field, e.g. 'Откуда=referred_by' or 'Shoe size=ignore' (repeat).",
)
@click.option("--strict", is_flag=True, help="Refuse columns no field reads (default: keep them in the notes).")
@click.option(
    "--day-first/--month-first",
    "day_first",
    default=None,
    help="How to read 03/04/2024 (default: as each column's other dates show; refused when none does).",
)
@click.option(
    "--undated",
    type=click.Choice([u.value for u in Undated], case_sensitive=False),
    default=Undated.REFUSE.value,
    show_default=True,
    help="Date of a recommendation with no date: refuse it, the client's acquired date, or its first deal.",
)
@click.option(
    "--update",
    is_flag=True,
    help="Overwrite what stored clients already hold (default: only fill their empty fields).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS, case_sensitive=False),
    help="What the files are (default: told from their names and content): a container, or the export a CSV"
    " comes from (google, linkedin, amocrm, bitrix24, hubspot).",
)
@click.option(
    "--report",
    "report_file",
    type=FilePath(dir_okay=False, path_type=Path),
    help="Write every problem (file, row, column, value, reason) to this CSV file.",
)
@workspace_option
@click.pass_obj
def import_files(
    app: AppContext,
    files: tuple[Path, ...],
    dry_run: bool,
    kind: str | None,
    encoding: str,
    sheets: tuple[str, ...],
    mapping: tuple[str, ...],
    strict: bool,
    day_first: bool | None,
    undated: str,
    update: bool,
    fmt: str | None,
    report_file: Path | None,
    workspace: str | None,
) -> None:
    """Import clients, channels, recommendations and deals from CSV, JSON or spreadsheet FILES (.xlsx,
    .xls, .ods; headers in English or Russian, see the README), and contacts from vCard (.vcf), the
    Telegram Desktop export (result.json) and Google, LinkedIn, amoCRM, Bitrix24 or HubSpot CSV exports.

    A person already known (by external id, email, phone in any spelling, or name) is matched, not
    duplicated: the report lists each match and the fields it fills; nothing a client holds is
    overwritten without --update.

    All or nothing: when any row has a problem, the report groups them by column and reason (with the
    rows and a few examples; --report FILE lists every one) and nothing is written. Running the same
    import again changes nothing.
    """
    ws = resolve_workspace(app.store, workspace)
    read_opts = ReadOptions(
        kind=kind,
        encoding=encoding,
        sheets=sheets,
        mapping=parse_mapping(mapping),
        strict=strict,
        format=fmt.lower() if fmt else None,
    )
    order = None if day_first is None else DateOrder.DAY_FIRST if day_first else DateOrder.MONTH_FIRST
    plan_opts = PlanOptions(order=order, undated=Undated(undated.lower()), update=update)
    parsed = Parsed()
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        console=Console(stderr=True),
        transient=True,
    ) as progress:
        task = progress.add_task(_("reading"), total=sum(f.stat().st_size for f in files))
        for f in files:
            parsed.add(read_file(f.name, f.read_bytes(), opts=read_opts))
            progress.advance(task, f.stat().st_size)
        progress.update(task, description=_("checking") if dry_run else _("checking and writing"), total=None)
        changes = app.store.run_import(
            ws, lambda view: plan_files(parsed, view, plan_opts), dry_run=dry_run, files=[f.name for f in files]
        )
    title = _("import into %(workspace)s", workspace=ws)
    table = Table(title=_("dry run: %(title)s", title=title) if dry_run else title)
    table.add_column("")
    for head in (_("created"), _("updated"), _("unchanged"), _("rejected")):
        table.add_column(head, justify="right")
    for k, counts in changes.summary.items():
        table.add_row(
            _kind(k), *(i18n.format_number(counts[c]) for c in ("created", "updated", "unchanged", "rejected"))
        )
    console, errors = Console(), Console(stderr=True)
    console.print(table)
    if changes.dated:
        how = ", ".join(
            _("%(n)s on the client's %(what)s date", n=i18n.format_number(n), what=what)
            for what, n in sorted(changes.dated.items())
        )
        click.echo(
            _("recommendations without a date (--undated %(how)s): %(what)s", how=plan_opts.undated.value, what=how)
        )
    for line in changes.matches[:MATCHES_SHOWN]:
        click.echo(_("match: %(line)s", line=line))
    if len(changes.matches) > MATCHES_SHOWN:
        click.echo(_("… and %(n)s more matches", n=i18n.format_number(len(changes.matches) - MATCHES_SHOWN)))
    for w in changes.warnings:
        errors.print(
            _("note: %(file)s: %(column)s: %(reason)s", file=w.file, column=w.column, reason=w.reason),
            markup=False,
            highlight=False,
        )
    problems = changes.problems
    if report_file is not None:
        report_file.write_text(report_csv(problems), encoding="utf-8")
    if problems:
        groups = group(problems)
        errors.print(
            i18n.ngettext("%(n)s problem, nothing was written:", "%(n)s problems, nothing was written:", len(problems)),
            markup=False,
            highlight=False,
        )
        for g in groups[:GROUPS_SHOWN]:
            errors.print(f"- {g}", markup=False, highlight=False, soft_wrap=True)
        if len(groups) > GROUPS_SHOWN:
            errors.print(
                _("… and %(n)s more kinds of problem", n=i18n.format_number(len(groups) - GROUPS_SHOWN)), markup=False
            )
        if report_file is None and len(problems) > len(groups[:GROUPS_SHOWN]):
            errors.print(_("--report FILE writes every problem to a CSV file"), markup=False)
        raise Invalid.one(
            "files",
            i18n.ngettext(
                "%(n)s problem in the files; fix it and run again",
                "%(n)s problems in the files; fix them and run again",
                len(problems),
            ),
        )
    if dry_run:
        click.echo(
            i18n.ngettext(
                "dry run: %(n)s record would be written; nothing was",
                "dry run: %(n)s records would be written; nothing was",
                changes.writes,
            )
        )
    elif changes.batch:
        click.echo(
            i18n.ngettext(
                "imported: %(n)s record written as batch %(batch)s",
                "imported: %(n)s records written as batch %(batch)s",
                changes.writes,
                batch=changes.batch,
            )
        )
        click.echo(_("to take it back: %(command)s", command=f"referrals import undo {changes.batch}"))
    else:
        click.echo(_("imported: nothing written: the workspace already holds all of it"))


@import_group.command("list", context_settings=CONTEXT)
@click.option("--limit", type=click.IntRange(1, 1000), default=20, show_default=True, help="How many to show.")
@workspace_option
@click.pass_obj
def import_list(app: AppContext, limit: int, workspace: str | None) -> None:
    """The imports written into the workspace, newest first: batch id, when, files, what each created
    and updated, and whether it was undone."""
    ws = resolve_workspace(app.store, workspace)
    batches = app.store.import_batches(ws, limit)
    if not batches:
        click.echo(_("no imports yet"))
        return
    click.echo(_("imports into %(workspace)s, newest first:", workspace=ws))
    for b in batches:
        when = _when(b.created_at)
        undone = "  " + _("(undone %(when)s)", when=_when(b.undone_at)) if b.undone_at else ""
        click.echo(f"{b.id}  {when}  {', '.join(b.files) or '-'}{undone}")
        click.echo(
            "    "
            + _(
                "created: %(created)s; updated: %(updated)s",
                created=_counts(b.summary, "created"),
                updated=_counts(b.summary, "updated"),
            )
        )


def _when(at: datetime) -> str:
    """A moment in the local time zone, for people: its day as the language writes it, and the time."""
    local = at.astimezone()
    return f"{i18n.format_date(local.date())} {local:%H:%M}"


def _kind(kind: str) -> str:
    """A kind of record as a table's row heading."""
    names = {"clients": _("clients"), "channels": _("channels"), "referrals": _("recommendations"), "deals": _("deals")}
    return names.get(kind, kind)


def _counts(summary: dict[str, dict[str, int]], what: str) -> str:
    return held_text({kind: n.get(what, 0) for kind, n in summary.items()}, "-")


@import_group.command("undo", context_settings=CONTEXT)
@click.argument("batch")
@workspace_option
@click.pass_obj
def import_undo(app: AppContext, batch: str, workspace: str | None) -> None:
    """Take back the import BATCH (an id from `referrals import list`): remove the clients, channels,
    recommendations and deals it created and restore what it updated, all or nothing.

    Refused, naming each, while anything recorded since depends on it: a record it wrote that was changed
    or deleted since, a recommendation or deal that involves a client it created, or a deal of a month
    closed since. Importing the same files again redoes it.
    """
    ws = resolve_workspace(app.store, workspace)
    done = app.store.undo_import(ws, batch)
    removed = held_text(done.removed, _("nothing"))
    restored = held_text(done.restored, _("nothing"))
    click.echo(
        _(
            "undone: import %(batch)s; removed %(removed)s; restored %(restored)s",
            batch=done.batch,
            removed=removed,
            restored=restored,
        )
    )
