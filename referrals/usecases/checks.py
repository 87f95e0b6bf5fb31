"""The integrity check of a workspace (referrals/integrity.py), and findings set aside with a note.

The check reads the workspace in one read transaction: every email and external id (from their
indexes), the clients holding a value another client's meets, every recommendation as columns, the
clients whose deals are none above zero, all named by the store's node keys (ids, or Neo4j's node
numbers, which cost less to read); while the rules run in memory, the ids of the clients they find;
then the names and recommendation ids the findings need, and the dismissals. A dismissal is stored by
the finding's stable key, under the workspace lock, so it counts as a change of the workspace (cached
answers are recomputed) and keeps applying to that finding on every later check.
"""

from __future__ import annotations

from referrals import clock
from referrals.errors import Invalid, NotFound
from referrals.i18n import _
from referrals.integrity import Dismissal, Facts, Report, Thresholds, detect, named, render, shared_values
from referrals.model import NOTE_MAX, clean_text
from referrals.ports import Storage, Unit


def run(store: Storage, ws: str, thresholds: Thresholds | None = None) -> Report:
    """Every rule over the workspace as it is now."""

    def work(u: Unit) -> Report:
        u.workspaces.require(ws)
        emails, external_ids = shared_values(*u.graph.contact_values(ws))
        phones = u.graph.shared_phones(ws)
        holders = u.graph.contact_holders(ws, emails, phones, external_ids) if emails or phones or external_ids else []
        recs = u.graph.check_recommendations(ws)
        facts = Facts(
            holders,
            u.graph.acquisitions(ws),
            *recs,
            hollow=u.graph.hollow_clients(ws),
            ids=lambda nodes: u.graph.node_ids(ws, nodes),
        )
        raws = detect(facts, thresholds)
        ids, pairs = named(raws)
        names = u.graph.names(ws, sorted(ids)) if ids else {}
        referral_ids = u.graph.referral_ids(ws, sorted(pairs)) if pairs else {}
        return render(raws, names, referral_ids, list(u.dismissals.each(ws)), thresholds)

    return store.read(work)


def dismiss(store: Storage, ws: str, key: str, note: object, thresholds: Thresholds | None = None) -> Dismissal:
    """Set a finding of the check (with `thresholds`, as it was found) aside with a note; dismissing it
    again replaces the note. NotFound when the check finds nothing under `key`."""
    errors: list = []
    text = clean_text(note, "note", required=True, max_len=NOTE_MAX, errors=errors)
    if errors:
        raise Invalid(errors)
    assert text is not None
    found = next((f for f in run(store, ws, thresholds).findings if f.key == key), None)
    if found is None:
        raise NotFound(
            "finding",
            key,
            field="key",
            hint=": " + _("the check with these thresholds finds nothing under it (give the thresholds that found it)"),
        )
    dismissal = Dismissal(key, found.rule, text, found.summary, clock.now())

    def work(u: Unit) -> Dismissal:
        u.workspaces.lock(ws)
        u.dismissals.put(ws, dismissal)
        return dismissal

    return store.write(work)


def undismiss(store: Storage, ws: str, key: str) -> None:
    """Show a dismissed finding again; NotFound when nothing is dismissed under `key`."""

    def work(u: Unit) -> bool:
        u.workspaces.lock(ws)
        return u.dismissals.remove(ws, key)

    if not store.write(work):
        raise NotFound("dismissal", key, field="key")
