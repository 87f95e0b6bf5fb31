"""Turning what a person types (an id, an email, a name) into records, with clear refusals."""

from __future__ import annotations

from typing import Any

import click

from referrals.errors import Conflict, Invalid, NotFound
from referrals.i18n import _
from referrals.ids import looks_like_id
from referrals.model import Channel, Client, ClientQuery, SourceKind, SourceRef, name_key
from referrals.store import Store


def workspace_option(f: Any) -> Any:
    """--workspace, from REFERRALS_WORKSPACE too; optional when the store holds one workspace."""
    return click.option(
        "--workspace",
        "-w",
        envvar="REFERRALS_WORKSPACE",
        show_envvar=True,
        help="Workspace id or name (default: the only workspace, if there is just one).",
    )(f)


def resolve_workspace(store: Store, given: str | None) -> str:
    """The workspace to use: the given one (checked), or the only one there is."""
    if given:
        return store.find_workspace(given).id
    spaces = store.list_workspaces()
    if len(spaces) == 1:
        return spaces[0].id
    if not spaces:
        raise NotFound("workspace", "(none)", field="workspace")
    names = ", ".join(f"{w.id} ({w.name})" for w in spaces[:5])
    raise Invalid.one(
        "workspace",
        _("there are %(n)s workspaces; choose one with --workspace: %(names)s", n=len(spaces), names=names),
    )


def resolve_client(store: Store, ws: str, text: str) -> Client:
    """A client by id, by email, by phone (as written: +7 916 123-45-67), or by exact (case-insensitive)
    name; ambiguity is refused."""
    if looks_like_id(text) and text.startswith("cl_"):
        return store.get_client(ws, text)
    query = ClientQuery(text=text, limit=50)
    page = store.list_clients(ws, query)
    exact = [
        c
        for c in page.items
        if c.email == text.strip().lower()
        or name_key(c.name) == name_key(text.strip())
        or (query.phone is not None and c.phone == query.phone)
    ]
    if len(exact) == 1:
        return exact[0]
    if not exact:
        raise NotFound("client", text, field="client", hint=did_you_mean(text, _client_names(store, ws)))
    listed = ", ".join(f"{c.id} ({c.email or c.name})" for c in exact[:5])
    raise Conflict("client", _("%(n)s clients match %(text)r; use an id: %(ids)s", n=len(exact), text=text, ids=listed))


# How many names a near miss is compared with at most (a freelancer's whole list, well within a second).
SUGGEST_FROM = 20_000


def did_you_mean(text: str, names: list[str], limit: int = 3) -> str:
    """ "; did you mean 'Ana Lima'?" for the names closest to `text` (a first name alone, a typo, a
    different case or word order), or "" when none is close."""
    from rapidfuzz import fuzz, process, utils

    found = process.extract(
        text, sorted(set(names)), scorer=fuzz.WRatio, processor=utils.default_process, limit=limit, score_cutoff=75
    )
    if not found:
        return ""
    names = _(" or ").join(repr(name) for name, _score, _index in found)
    return "; " + _("did you mean %(names)s?", names=names)


def _client_names(store: Store, ws: str) -> list[str]:
    names: list[str] = []
    after = None
    while len(names) < SUGGEST_FROM:
        page = store.list_clients(ws, ClientQuery(limit=500, after=after))
        names += [c.name for c in page.items]
        if page.next_after is None:
            break
        after = page.next_after
    return names


def _all_channels(store: Store, ws: str) -> list[Channel]:
    out: list[Channel] = []
    after = None
    while True:
        page = store.list_channels(ws, limit=500, after=after)
        out += page.items
        if page.next_after is None:
            return out
        after = page.next_after


def resolve_channel(store: Store, ws: str, text: str) -> Channel:
    """A channel by id or by name (case-insensitive), with suggestions for a near miss."""
    if looks_like_id(text) and text.startswith("ch_"):
        return store.get_channel(ws, text)
    channels = _all_channels(store, ws)
    for ch in channels:
        if name_key(ch.name) == name_key(text.strip()):
            return ch
    raise NotFound("channel", text, field="channel", hint=did_you_mean(text, [c.name for c in channels]))


def resolve_root(store: Store, ws: str, text: str) -> tuple[SourceRef, str]:
    """A tree root: a channel id or name, else a client (id, email, phone or name)."""
    if looks_like_id(text) and text.startswith("ch_"):
        return SourceRef(SourceKind.CHANNEL, text), store.get_channel(ws, text).name
    try:
        c = resolve_client(store, ws, text)
        return SourceRef(SourceKind.CLIENT, c.id), c.name
    except NotFound:
        after = None
        while True:
            page = store.list_channels(ws, limit=500, after=after)
            for ch in page.items:
                if name_key(ch.name) == name_key(text.strip()):
                    return SourceRef(SourceKind.CHANNEL, ch.id), ch.name
            if page.next_after is None:
                break
            after = page.next_after
        names = _client_names(store, ws) + [ch.name for ch in _all_channels(store, ws)]
        raise NotFound("client or channel", text, field="root", hint=did_you_mean(text, names)) from None
