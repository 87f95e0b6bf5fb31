"""Request and response bodies: these schemas are the API contract and its OpenAPI document.

Schemas check shape and types; the domain (`referrals.model`) then applies the rules (trimming,
normalising, uniqueness) and names the field of any refusal, so the rules live in one place.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import validate

from referrals.access import Role
from referrals.attribution import Model
from referrals.config import CREDIT_DEPTH, MAX_DEPTH
from referrals.exports import GraphFormat
from referrals.importing.read import FORMATS
from referrals.integrity import Thresholds
from referrals.model import (
    EMAIL_MAX,
    EXTERNAL_ID_MAX,
    MAX_PAGE,
    NAME_MAX,
    NOTE_MAX,
    PHONE_MAX,
    TAG_MAX,
    TAGS_MAX,
    URL_MAX,
    ChannelKind,
    ClientStatus,
    DeletePolicy,
    SourceKind,
)


def _choices(kind: type) -> validate.OneOf:
    return validate.OneOf([m.value for m in kind])


def _text(max_len: int, **kw: Any) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(max=max_len), **kw)


def _id(**kw: Any) -> ma.fields.String:
    return ma.fields.String(validate=validate.Length(1, 100), **kw)


# -- shared ------------------------------------------------------------------------------


class PageArgs(ma.Schema):
    """Keyset paging: pass the previous page's `next_after` as `after`."""

    limit = ma.fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE))
    after = ma.fields.String(load_default=None, validate=validate.Length(max=100))


class PatchSchema(ma.Schema):
    """A change: at least one field (an empty PATCH would only touch `updated_at`)."""

    MIN_PROPERTIES = 1  # also written into the OpenAPI document (api/spec.py)

    @ma.validates_schema
    def not_empty(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Refuse a PATCH that names no field."""
        if not data:
            raise ma.ValidationError("name at least one field to change", field_name="body")


# -- workspace ---------------------------------------------------------------------------


class ModelSchema(ma.Schema):
    """An attribution model (credits add up to the deal) or a commission plan (they do not)."""

    name = ma.fields.String(required=True, metadata={"example": "linear"})
    commission = ma.fields.Boolean(required=True)


class WorkspaceSchema(ma.Schema):
    """The caller's workspace and role."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)
    role = ma.fields.String(required=True, validate=_choices(Role))
    max_depth = ma.fields.Integer(
        required=True, metadata={"description": "the largest `depth` any request takes, of views or of credit"}
    )
    credit_depth = ma.fields.Integer(
        required=True,
        metadata={"description": "levels of a chain sharing a deal's credit by default; views mark nodes past it"},
    )
    draw_limit = ma.fields.Integer(
        required=True,
        metadata={"description": "nodes the page draws at once; a bigger network is shown as its biggest trees"},
    )
    webgl_from = ma.fields.Integer(
        required=True,
        metadata={"description": "views of this many nodes or more are drawn in WebGL, smaller ones in SVG"},
    )
    models = ma.fields.List(
        ma.fields.Nested(ModelSchema),
        required=True,
        metadata={"description": "the attribution models and commission plans `model` takes"},
    )


# -- clients -----------------------------------------------------------------------------


class ClientSchema(ma.Schema):
    """A client as stored."""

    id = ma.fields.String(required=True, metadata={"example": "cl_01hx3v8k9q2m4n6p8r0s2t4v6w"})
    name = ma.fields.String(required=True, metadata={"example": "Ana Lima"})
    email = ma.fields.String(required=True, allow_none=True)
    phone = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "E.164", "example": "+79161234567"}
    )
    status = ma.fields.String(required=True, validate=_choices(ClientStatus))
    tags = ma.fields.List(ma.fields.String(), required=True)
    external_id = ma.fields.String(required=True, allow_none=True)
    notes = ma.fields.String(required=True, allow_none=True)
    acquired_on = ma.fields.Date(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class ClientWriteSchema(ma.Schema):
    """Fields of a new client (POST) or of a change (PATCH: any subset)."""

    name = ma.fields.String(required=True, validate=validate.Length(1, NAME_MAX), metadata={"example": "Ana Lima"})
    email = _text(EMAIL_MAX, allow_none=True, metadata={"example": "ana@example.com"})
    phone = _text(
        PHONE_MAX,
        allow_none=True,
        metadata={
            "description": "as written (+7 916 123-45-67, 8 916 123 45 67); stored in E.164. Without a country "
            "code it is read in REFERRALS_PHONE_REGION (RU unless set)",
            "example": "+7 916 123-45-67",
        },
    )
    status = ma.fields.String(validate=_choices(ClientStatus), metadata={"description": "default active"})
    tags = ma.fields.List(
        ma.fields.String(validate=validate.Length(1, TAG_MAX)), validate=validate.Length(max=TAGS_MAX)
    )
    external_id = ma.fields.String(
        allow_none=True,
        validate=validate.Length(1, EXTERNAL_ID_MAX),
        metadata={"description": "your own key (CRM id); POSTing an existing one updates that client"},
    )
    notes = _text(NOTE_MAX, allow_none=True)
    acquired_on = ma.fields.Date(allow_none=True)


class ClientPatchSchema(ClientWriteSchema, PatchSchema):
    """Any subset of a client's fields; null clears an optional one."""

    name = ma.fields.String(validate=validate.Length(1, NAME_MAX))


class ClientListArgs(PageArgs):
    """Filters of the client listing."""

    q = ma.fields.String(
        validate=validate.Length(1, NAME_MAX),
        metadata={"description": "part of name or email, or a phone number as written"},
    )
    tag = ma.fields.String(validate=validate.Length(1, TAG_MAX))
    status = ma.fields.String(validate=_choices(ClientStatus))
    acquired_from = ma.fields.Date()
    acquired_to = ma.fields.Date()


class ClientPageSchema(ma.Schema):
    """One page of clients."""

    items = ma.fields.List(ma.fields.Nested(ClientSchema), required=True)
    next_after = ma.fields.String(required=True, allow_none=True)


class ClientDeleteArgs(ma.Schema):
    """What to do with the clients the deleted client brought in."""

    on_branch = ma.fields.String(
        load_default=DeletePolicy.REFUSE.value,
        validate=_choices(DeletePolicy),
        metadata={
            "description": "refuse (default) while the client brought anyone in; relink: hand them to the "
            "deleted client's own source; detach: they become roots"
        },
    )


# -- channels ----------------------------------------------------------------------------


class ChannelSchema(ma.Schema):
    """A channel as stored."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True, metadata={"example": "Blog: pricing post"})
    kind = ma.fields.String(required=True, validate=_choices(ChannelKind))
    url = ma.fields.String(required=True, allow_none=True)
    external_id = ma.fields.String(required=True, allow_none=True)
    notes = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)


class ChannelWriteSchema(ma.Schema):
    """Fields of a new channel or of a change."""

    name = ma.fields.String(required=True, validate=validate.Length(1, NAME_MAX))
    kind = ma.fields.String(validate=_choices(ChannelKind), metadata={"description": "default other"})
    url = _text(URL_MAX, allow_none=True, metadata={"description": "an http:// or https:// address"})
    external_id = ma.fields.String(allow_none=True, validate=validate.Length(1, EXTERNAL_ID_MAX))
    notes = _text(NOTE_MAX, allow_none=True)


class ChannelPatchSchema(ChannelWriteSchema, PatchSchema):
    """Any subset of a channel's fields."""

    name = ma.fields.String(validate=validate.Length(1, NAME_MAX))


class ChannelPageSchema(ma.Schema):
    """One page of channels."""

    items = ma.fields.List(ma.fields.Nested(ChannelSchema), required=True)
    next_after = ma.fields.String(required=True, allow_none=True)


# -- referrals ---------------------------------------------------------------------------


class ReferralSchema(ma.Schema):
    """ "source recommended client"; `primary` marks the one that brought the client in."""

    id = ma.fields.String(required=True)
    source_kind = ma.fields.String(required=True, validate=_choices(SourceKind))
    source_id = ma.fields.String(required=True)
    client_id = ma.fields.String(required=True)
    referred_on = ma.fields.Date(required=True)
    note = ma.fields.String(required=True, allow_none=True)
    primary = ma.fields.Boolean(required=True)
    created_at = ma.fields.DateTime(required=True)

    @ma.pre_dump
    def flatten(self, ref: Any, **kwargs: Any) -> dict[str, Any]:
        """Referral records carry their source as one value."""
        return {
            "id": ref.id,
            "source_kind": ref.source.kind.value,
            "source_id": ref.source.id,
            "client_id": ref.client_id,
            "referred_on": ref.referred_on,
            "note": ref.note,
            "primary": ref.primary,
            "created_at": ref.created_at,
        }


class ReferralCreateSchema(ma.Schema):
    """Record that a client or channel recommended a client."""

    source_kind = ma.fields.String(
        validate=_choices(SourceKind),
        metadata={"description": "leave out to let the id say it (ch_… a channel, cl_… a client); else client"},
    )
    source_id = _id(required=True)
    client_id = _id(required=True)
    referred_on = ma.fields.Date(required=True)
    note = _text(NOTE_MAX, allow_none=True)
    primary = ma.fields.Boolean(
        metadata={
            "description": "leave out: the first recommendation of a client becomes its primary source, later "
            "ones secondary. true: make this the primary source now (an explicit re-attribution, kept in history)"
        }
    )
    reason = _text(NOTE_MAX, allow_none=True, metadata={"description": "why, with primary=true"})


class ReferralListArgs(PageArgs):
    """Filters of the referral listing."""

    client_id = ma.fields.String(validate=validate.Length(1, 100))
    source_kind = ma.fields.String(validate=_choices(SourceKind))
    source_id = ma.fields.String(validate=validate.Length(1, 100))


class ReferralPageSchema(ma.Schema):
    """One page of referrals."""

    items = ma.fields.List(ma.fields.Nested(ReferralSchema), required=True)
    next_after = ma.fields.String(required=True, allow_none=True)


class SourceSetSchema(ma.Schema):
    """Set or change a client's primary source."""

    source_kind = ma.fields.String(
        validate=_choices(SourceKind),
        metadata={"description": "leave out to let the id say it (ch_… a channel, cl_… a client); else client"},
    )
    source_id = ma.fields.String(required=True, validate=validate.Length(1, 100))
    referred_on = ma.fields.Date(required=True)
    note = _text(NOTE_MAX, allow_none=True)
    reason = _text(NOTE_MAX, allow_none=True)


class SourceChangeSchema(ma.Schema):
    """One change of a client's primary source."""

    previous_kind = ma.fields.String(required=True, allow_none=True)
    previous_id = ma.fields.String(required=True, allow_none=True)
    previous_referral_id = ma.fields.String(required=True, allow_none=True)
    current_kind = ma.fields.String(required=True, allow_none=True)
    current_id = ma.fields.String(required=True, allow_none=True)
    referral_id = ma.fields.String(required=True, allow_none=True)
    reason = ma.fields.String(required=True, allow_none=True)
    changed_at = ma.fields.DateTime(required=True)

    @ma.pre_dump
    def flatten(self, ch: Any, **kwargs: Any) -> dict[str, Any]:
        """Source references become kind and id pairs."""
        return {
            "previous_kind": ch.previous.kind.value if ch.previous else None,
            "previous_id": ch.previous.id if ch.previous else None,
            "previous_referral_id": ch.previous_referral_id,
            "current_kind": ch.current.kind.value if ch.current else None,
            "current_id": ch.current.id if ch.current else None,
            "referral_id": ch.referral_id,
            "reason": ch.reason,
            "changed_at": ch.changed_at,
        }


class SourceSchema(ma.Schema):
    """A client's primary source now, and every explicit change of it."""

    current = ma.fields.Nested(ReferralSchema, required=True, allow_none=True)
    history = ma.fields.List(ma.fields.Nested(SourceChangeSchema), required=True)


# -- deals -------------------------------------------------------------------------------


class DealSchema(ma.Schema):
    """A deal; `amount` is an exact decimal string in the currency's minor units."""

    id = ma.fields.String(required=True)
    client_id = ma.fields.String(required=True)
    amount = ma.fields.String(required=True, metadata={"example": "1234.50"})
    amount_minor = ma.fields.Integer(required=True, metadata={"example": 123450})
    currency = ma.fields.String(required=True, metadata={"example": "EUR"})
    closed_on = ma.fields.Date(required=True)
    title = ma.fields.String(required=True, allow_none=True)
    external_id = ma.fields.String(required=True, allow_none=True)
    created_at = ma.fields.DateTime(required=True)
    updated_at = ma.fields.DateTime(required=True)

    @ma.pre_dump
    def flatten(self, d: Any, **kwargs: Any) -> dict[str, Any]:
        """Money becomes a decimal string, its minor units and its currency."""
        return {
            "id": d.id,
            "client_id": d.client_id,
            "amount": d.amount.decimal,
            "amount_minor": d.amount.minor,
            "currency": d.amount.currency,
            "closed_on": d.closed_on,
            "title": d.title,
            "external_id": d.external_id,
            "created_at": d.created_at,
            "updated_at": d.updated_at,
        }


class DealWriteSchema(ma.Schema):
    """Fields of a new deal, or of a change (client_id cannot change)."""

    client_id = ma.fields.String(required=True, validate=validate.Length(1, 100))
    amount = ma.fields.String(
        required=True,
        validate=validate.Length(1, 40),
        metadata={
            "description": 'decimal string, e.g. "1234.50" or "-20" for a refund; no floats',
            "example": "1234.50",
        },
    )
    currency = ma.fields.String(required=True, validate=validate.Length(3, 3), metadata={"example": "EUR"})
    closed_on = ma.fields.Date(required=True)
    title = _text(NAME_MAX, allow_none=True)
    external_id = ma.fields.String(
        allow_none=True,
        validate=validate.Length(1, EXTERNAL_ID_MAX),
        metadata={"description": "your invoice or order number; POSTing an existing one updates that deal"},
    )


class DealPatchSchema(PatchSchema):
    """Any subset of a deal's fields (its client cannot change); an amount alone keeps the currency."""

    amount = ma.fields.String(validate=validate.Length(1, 40), metadata={"example": "99.90"})
    currency = ma.fields.String(validate=validate.Length(3, 3))
    closed_on = ma.fields.Date()
    title = _text(NAME_MAX, allow_none=True)
    external_id = ma.fields.String(allow_none=True, validate=validate.Length(1, EXTERNAL_ID_MAX))


class DealListArgs(PageArgs):
    """Filters of the deal listing."""

    client_id = ma.fields.String(validate=validate.Length(1, 100))
    closed_from = ma.fields.Date()
    closed_to = ma.fields.Date()


class DealPageSchema(ma.Schema):
    """One page of deals."""

    items = ma.fields.List(ma.fields.Nested(DealSchema), required=True)
    next_after = ma.fields.String(required=True, allow_none=True)


# -- tokens ------------------------------------------------------------------------------


class TokenSchema(ma.Schema):
    """A token as stored: never the secret."""

    id = ma.fields.String(required=True)
    role = ma.fields.String(required=True, validate=_choices(Role))
    name = ma.fields.String(required=True)
    created_at = ma.fields.DateTime(required=True)


class TokenCreatedSchema(TokenSchema):
    """A new token, with its secret: shown this once."""

    token = ma.fields.String(
        metadata={
            "description": "use as `Authorization: Bearer <token>`; absent from a replay of the same "
            "Idempotency-Key, since the secret is never stored"
        }
    )


class TokenCreateSchema(ma.Schema):
    """A token to create."""

    role = ma.fields.String(required=True, validate=_choices(Role))
    name = ma.fields.String(load_default="api", validate=validate.Length(1, 100))


class TokenListSchema(ma.Schema):
    """All tokens of the workspace."""

    items = ma.fields.List(ma.fields.Nested(TokenSchema), required=True)


# -- chains, trees and analysis ----------------------------------------------------------


class AmountSchema(ma.Schema):
    """Money in one currency: an exact decimal string and its minor units."""

    currency = ma.fields.String(required=True, metadata={"example": "EUR"})
    amount = ma.fields.String(required=True, metadata={"example": "1250.00"})
    amount_minor = ma.fields.Integer(required=True, metadata={"example": 125000})


def amounts(values: Any) -> list[dict[str, Any]]:
    """Per-currency minor units as a list of AmountSchema dicts, sorted by currency."""
    from referrals.money import format_amount

    return [
        {"currency": cur, "amount": format_amount(minor, cur), "amount_minor": minor}
        for cur, minor in sorted(values.items())
    ]


_VIEW_DEPTH = {
    "description": f"levels to show, 1 to {MAX_DEPTH}; without it, all of them. A view cut at a depth says what"
    " lies beyond it (`beyond`)."
}


class AsOfArgs(ma.Schema):
    """The day a view shows the network as it stood (default: today)."""

    as_of = ma.fields.Date(
        load_default=None,
        metadata={
            "description": "YYYY-MM-DD: the network as it stood at the end of that day: clients acquired and"
            " recommendations dated by then, each client's primary source of that day, revenue to that day",
            "example": "2024-06-30",
        },
    )


class DepthArgs(AsOfArgs):
    """How many levels a view shows (default: all), and as of which day."""

    depth = ma.fields.Integer(load_default=None, validate=validate.Range(1, MAX_DEPTH), metadata=_VIEW_DEPTH)


class BeyondSchema(ma.Schema):
    """What a view cut at a depth leaves out."""

    clients = ma.fields.Integer(required=True, metadata={"description": "clients past the view's last level"})
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)


class ChainStepSchema(ma.Schema):
    """One level of an upstream chain."""

    level = ma.fields.Integer(required=True)
    source_kind = ma.fields.String(required=True, validate=_choices(SourceKind))
    source_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    referral_id = ma.fields.String(required=True)
    referred_on = ma.fields.Date(required=True)


class ChainSchema(ma.Schema):
    """A client's primary sources, nearest first: all of them, or the `depth` asked for; `levels` and
    `top` are the whole chain's either way, and `truncated` says the steps stop below the top."""

    client_id = ma.fields.String(required=True)
    depth = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "null: the whole chain"})
    levels = ma.fields.Integer(required=True, metadata={"description": "steps from the client up to the top"})
    truncated = ma.fields.Boolean(required=True)
    top = ma.fields.Nested(ChainStepSchema, required=True, allow_none=True)
    steps = ma.fields.List(ma.fields.Nested(ChainStepSchema), required=True)


class TreeNodeSchema(ma.Schema):
    """A client in a tree, with its branch (itself and everyone it brought in, also past the view's depth)."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    level = ma.fields.Integer(required=True)
    referral_id = ma.fields.String(required=True)
    referred_on = ma.fields.Date(required=True)
    referred = ma.fields.Integer(required=True, metadata={"description": "clients it brought in directly"})
    dead_end = ma.fields.Boolean(required=True, metadata={"description": "brought no one in"})
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    branch_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    branch_size = ma.fields.Integer(
        required=True, metadata={"description": "clients below, also those past the view's depth"}
    )
    past_credit_depth = ma.fields.Boolean(
        required=True,
        metadata={
            "description": f"more than {CREDIT_DEPTH} levels below the root: the root gets no credit for its deals"
        },
    )
    beyond = ma.fields.Nested(
        BeyondSchema,
        required=True,
        allow_none=True,
        metadata={"description": "on the view's last level: what this branch holds past it (null: nothing)"},
    )
    children = ma.fields.List(ma.fields.Nested(lambda: TreeNodeSchema()), required=True)


class TreeRootSchema(ma.Schema):
    """The client or channel a tree starts from."""

    kind = ma.fields.String(required=True, validate=_choices(SourceKind))
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    referred = ma.fields.Integer(required=True)


class TreeSchema(ma.Schema):
    """Everything a client or channel brought in, nested by level."""

    root = ma.fields.Nested(TreeRootSchema, required=True)
    depth = ma.fields.Integer(required=True, allow_none=True, metadata={"description": "null: the whole downline"})
    size = ma.fields.Integer(
        required=True, metadata={"description": "clients below the root, also those past the view's depth"}
    )
    shown = ma.fields.Integer(required=True, metadata={"description": "clients in `children`"})
    beyond = ma.fields.Nested(BeyondSchema, required=True, metadata={"description": "what lies past the depth"})
    reach_per_level = ma.fields.List(ma.fields.Integer(), required=True)
    revenue = ma.fields.List(
        ma.fields.Nested(AmountSchema),
        required=True,
        metadata={"description": "the root's and its whole downline's revenue (also past the view's depth)"},
    )
    dead_ends = ma.fields.Integer(required=True)
    children = ma.fields.List(ma.fields.Nested(TreeNodeSchema), required=True)


class ClientStatsSchema(ma.Schema):
    """One client's place in the network."""

    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.Integer(required=True, metadata={"description": "steps up to the top of its chain"})
    top_of_chain = ma.fields.Nested(ChainStepSchema, required=True, allow_none=True)
    referred = ma.fields.Integer(required=True)
    reach = ma.fields.Integer(required=True, metadata={"description": "clients below, also past the depth"})
    reach_per_level = ma.fields.List(ma.fields.Integer(), required=True)
    dead_ends_below = ma.fields.Integer(required=True, metadata={"description": "within the levels shown"})
    own_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    branch_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    depth = ma.fields.Integer(required=True, allow_none=True)
    beyond = ma.fields.Nested(BeyondSchema, required=True)


class ReferrerSchema(ma.Schema):
    """A client who brought others in."""

    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    referred = ma.fields.Integer(required=True)
    reach = ma.fields.Integer(required=True)


class SummarySchema(ma.Schema):
    """A workspace at a glance."""

    first_day = ma.fields.Date(
        required=True,
        allow_none=True,
        metadata={"description": "the earliest day the network knows of (a view as of an earlier day is empty)"},
    )
    clients = ma.fields.Integer(required=True)
    channels = ma.fields.Integer(required=True)
    primary_referrals = ma.fields.Integer(required=True)
    secondary_referrals = ma.fields.Integer(required=True)
    from_referral = ma.fields.Integer(required=True)
    from_channel = ma.fields.Integer(required=True)
    direct = ma.fields.Integer(required=True)
    share_from_referral = ma.fields.Float(required=True)
    share_from_channel = ma.fields.Float(required=True)
    share_direct = ma.fields.Float(required=True)
    dead_ends = ma.fields.Integer(required=True)
    longest_chain = ma.fields.Integer(required=True)
    longest_chain_client = ma.fields.String(required=True, allow_none=True)
    clients_by_level = ma.fields.List(ma.fields.Integer(), required=True)
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    prolific_referrers = ma.fields.List(ma.fields.Nested(ReferrerSchema), required=True)


class KeyClientArgs(AsOfArgs):
    """Parameters of the key-client score."""

    limit = ma.fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE))
    currency = ma.fields.String(validate=validate.Length(3, 3))
    depth = ma.fields.Integer(load_default=None, validate=validate.Range(1, MAX_DEPTH), metadata=_VIEW_DEPTH)
    w_own = ma.fields.Float(load_default=1.0, validate=validate.Range(0, 1000))
    w_downline = ma.fields.Float(load_default=1.0, validate=validate.Range(0, 1000))
    w_reach = ma.fields.Float(load_default=0.5, validate=validate.Range(0, 1000))


class KeyClientSchema(ma.Schema):
    """A ranked client and the parts of its score."""

    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    score = ma.fields.Float(required=True)
    own_revenue = ma.fields.Nested(
        AmountSchema, required=True, allow_none=True, metadata={"description": "in the ranking's currency"}
    )
    downline_revenue = ma.fields.Nested(
        AmountSchema, required=True, allow_none=True, metadata={"description": "in the ranking's currency"}
    )
    reach = ma.fields.Integer(required=True)
    referred = ma.fields.Integer(required=True)
    own_by_currency = ma.fields.List(
        ma.fields.Nested(AmountSchema),
        required=True,
        metadata={"description": "own revenue in every currency the client paid in (refunds netted)"},
    )
    downline_by_currency = ma.fields.List(
        ma.fields.Nested(AmountSchema),
        required=True,
        metadata={"description": "the downline's revenue in every currency it paid in"},
    )


class KeyClientsSchema(ma.Schema):
    """The key-client ranking."""

    currency = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "the currency the revenue parts are ranked in"}
    )
    currencies = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "every currency of the workspace, the main one first: each can be `currency`"},
    )
    depth = ma.fields.Integer(required=True, allow_none=True)
    weights = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Float(), required=True)
    items = ma.fields.List(ma.fields.Nested(KeyClientSchema), required=True)


class GrowthArgs(ma.Schema):
    """Which months, and the window of the viral coefficient."""

    months = ma.fields.Integer(
        load_default=24, validate=validate.Range(1, 120), metadata={"description": "how many months"}
    )
    to = ma.fields.String(
        load_default=None,
        validate=validate.Length(7, 7),
        metadata={"description": "the last month, YYYY-MM (default: this month)", "example": "2026-11"},
    )
    window = ma.fields.Integer(
        load_default=3,
        validate=validate.Range(1, 36),
        metadata={"description": "K counts the clients a cohort brought in within this many months"},
    )


class OriginCountsSchema(ma.Schema):
    people = ma.fields.Integer(required=True)
    channels = ma.fields.Integer(required=True)
    direct = ma.fields.Integer(required=True)


class OriginAmountsSchema(ma.Schema):
    people = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    channels = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    direct = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)


class CohortSchema(ma.Schema):
    """The clients whose first day falls in one month."""

    month = ma.fields.String(required=True)
    new_clients = ma.fields.Integer(required=True)
    by_origin = ma.fields.Nested(OriginCountsSchema, required=True, metadata={"description": "new clients by origin"})
    brought_in = ma.fields.Integer(
        required=True, metadata={"description": "clients its members brought in within the window"}
    )
    k = ma.fields.Float(required=True, metadata={"description": "viral coefficient: brought_in / new_clients"})
    window_open = ma.fields.Boolean(
        required=True, metadata={"description": "the window has not ended: K may still grow"}
    )
    recommended = ma.fields.Integer(required=True, metadata={"description": "new clients recommended by a person"})
    converted = ma.fields.Integer(required=True, metadata={"description": "of those, clients with a paid deal"})
    conversion = ma.fields.Float(required=True, allow_none=True)
    median_days_to_first_deal = ma.fields.Float(required=True, allow_none=True)
    revenue = ma.fields.List(
        ma.fields.Nested(AmountSchema), required=True, metadata={"description": "the month's deals"}
    )
    revenue_by_origin = ma.fields.Nested(
        OriginAmountsSchema, required=True, metadata={"description": "by the payer's origin"}
    )


class ChannelGrowthSchema(ma.Schema):
    """A root channel's chains."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    clients = ma.fields.Integer(required=True)
    depth = ma.fields.Integer(required=True, metadata={"description": "cascade depth: levels its chains reach"})
    per_level = ma.fields.List(ma.fields.Integer(), required=True)


class OriginRevenueSchema(ma.Schema):
    """First-year revenue of the clients of one origin."""

    origin = ma.fields.String(required=True)
    clients = ma.fields.Integer(required=True)
    matured = ma.fields.Integer(required=True, metadata={"description": "clients whose first 12 months have ended"})
    first_year = ma.fields.List(ma.fields.Nested(AmountSchema), required=True, metadata={"description": "their total"})
    average = ma.fields.List(
        ma.fields.Nested(AmountSchema), required=True, metadata={"description": "per matured client"}
    )


class GrowthSchema(ma.Schema):
    """How word of mouth grows (definitions: README "How word of mouth grows")."""

    start = ma.fields.String(required=True, data_key="from")
    end = ma.fields.String(required=True, data_key="to")
    window = ma.fields.Integer(required=True)
    today = ma.fields.Date(required=True)
    clients = ma.fields.Integer(required=True)
    cohorts = ma.fields.List(ma.fields.Nested(CohortSchema), required=True)
    channels = ma.fields.List(ma.fields.Nested(ChannelGrowthSchema), required=True)
    origins = ma.fields.List(ma.fields.Nested(OriginRevenueSchema), required=True)


class InfluenceArgs(AsOfArgs):
    """Who matters: how long a referrer may stay quiet, how many rows per list, the ranking's currency."""

    months = ma.fields.Integer(
        load_default=6,
        validate=validate.Range(1, 120),
        metadata={"description": "a referrer is sleeping after this many months without a recommendation"},
    )
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE))
    currency = ma.fields.String(validate=validate.Length(3, 3))


class OrphanSchema(ma.Schema):
    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class StandingSchema(ma.Schema):
    """A client's place in word of mouth (README "Who matters and where it stops")."""

    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    own_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    downline_revenue = ma.fields.List(
        ma.fields.Nested(AmountSchema), required=True, metadata={"description": "its downline's, own not counted"}
    )
    branch_revenue = ma.fields.List(
        ma.fields.Nested(AmountSchema), required=True, metadata={"description": "own + downline"}
    )
    reach = ma.fields.Integer(required=True)
    referred = ma.fields.Integer(required=True)
    orphaned = ma.fields.Integer(
        required=True,
        metadata={"description": "clients every recommendation path to whom passes through this client"},
    )
    orphaned_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    orphans = ma.fields.List(
        ma.fields.Nested(OrphanSchema),
        required=True,
        metadata={"description": "the first 20 orphaned clients, nearest first (bridges only); `orphaned` counts all"},
    )


class StandingsSchema(ma.Schema):
    total = ma.fields.Integer(required=True, metadata={"description": "rows in the whole list, also past limit"})
    items = ma.fields.List(ma.fields.Nested(StandingSchema), required=True)


class SleeperSchema(ma.Schema):
    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    recommended = ma.fields.Integer(required=True, metadata={"description": "recommendations made, both kinds"})
    last_recommended_on = ma.fields.String(required=True, metadata={"description": "YYYY-MM-DD"})
    days_quiet = ma.fields.Integer(required=True)
    downline_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)


class SleepersSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(SleeperSchema), required=True)


class DeadEndSchema(ma.Schema):
    client_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    level = ma.fields.Integer(required=True)
    top = ma.fields.String(required=True, metadata={"description": 'the chain\'s top, "" when it is its own'})
    upline_revenue = ma.fields.List(
        ma.fields.Nested(AmountSchema), required=True, metadata={"description": "what the chain above it paid"}
    )
    own_revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)


class DeadEndsSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(DeadEndSchema), required=True)


class InfluenceSchema(ma.Schema):
    """Who matters and where it stops: four lists, each with its whole count."""

    currency = ma.fields.String(required=True, allow_none=True, metadata={"description": "the rankings' currency"})
    currencies = ma.fields.List(ma.fields.String(), required=True)
    day = ma.fields.String(
        required=True, metadata={"description": "the day the network is seen (today or as_of), YYYY-MM-DD"}
    )
    months = ma.fields.Integer(required=True)
    clients = ma.fields.Nested(
        StandingsSchema, required=True, metadata={"description": "clients who brought anyone in, by downline revenue"}
    )
    bridges = ma.fields.Nested(
        StandingsSchema, required=True, metadata={"description": "clients others hang on, most orphaned first"}
    )
    sleeping = ma.fields.Nested(SleepersSchema, required=True)
    dead_ends = ma.fields.Nested(
        DeadEndsSchema, required=True, metadata={"description": "clients who brought no one in, by upline revenue"}
    )


_DEFAULT_THRESHOLDS = Thresholds()
_THRESHOLD_DOC = {
    "burst_count": "a burst: a person recommending more than this many clients ...",
    "burst_days": "... within this many days",
    "hollow_size": "the smallest cluster of linked clients whose deals are all refunds or zero",
    "lead_days": "a recommendation more than this many days before the client's acquisition is too early",
}


def _threshold(name: str) -> ma.fields.Integer:
    low, high = Thresholds.LIMITS[name]
    return ma.fields.Integer(
        load_default=getattr(_DEFAULT_THRESHOLDS, name),
        validate=validate.Range(low, high),
        metadata={"description": _THRESHOLD_DOC[name]},
    )


class IntegrityArgs(ma.Schema):
    """The thresholds of the integrity rules (README "What looks wrong"); each has a default."""

    burst_count = _threshold("burst_count")
    burst_days = _threshold("burst_days")
    hollow_size = _threshold("hollow_size")
    lead_days = _threshold("lead_days")


class IntegrityQuerySchema(IntegrityArgs):
    """The thresholds, and how many findings to list (open ones first; the counts are always whole)."""

    limit = ma.fields.Integer(load_default=200, validate=validate.Range(1, MAX_PAGE))


class IntegrityRuleSchema(ma.Schema):
    id = ma.fields.String(required=True, metadata={"example": "shared_contact"})
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True, metadata={"description": "with this check's thresholds"})
    open = ma.fields.Integer(required=True)
    dismissed = ma.fields.Integer(required=True)


class FindingPersonSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class FindingDismissedSchema(ma.Schema):
    note = ma.fields.String(required=True)
    at = ma.fields.String(required=True, metadata={"description": "when it was dismissed, ISO 8601"})


class FindingSchema(ma.Schema):
    """One thing that looks wrong."""

    key = ma.fields.String(required=True, metadata={"description": "stable while the finding stays the same"})
    rule = ma.fields.String(required=True)
    summary = ma.fields.String(required=True, metadata={"description": "the finding in one sentence"})
    people = ma.fields.List(
        ma.fields.Nested(FindingPersonSchema),
        required=True,
        metadata={"description": "the clients (and channels) it is about, at most 20; `numbers` counts all"},
    )
    referrals = ma.fields.List(ma.fields.String(), required=True)
    numbers = ma.fields.Dict(keys=ma.fields.String(), required=True, metadata={"description": "the rule's figures"})
    dismissed = ma.fields.Nested(FindingDismissedSchema, required=True, allow_none=True)


class IntegritySchema(ma.Schema):
    """Every finding of the integrity check: open ones first, then the dismissed ones (marked)."""

    thresholds = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
    rules = ma.fields.List(ma.fields.Nested(IntegrityRuleSchema), required=True)
    open = ma.fields.Integer(required=True)
    dismissed = ma.fields.Integer(required=True)
    findings = ma.fields.List(ma.fields.Nested(FindingSchema), required=True)
    not_listed = ma.fields.Integer(required=True, metadata={"description": "findings past `limit`, not listed"})


class DismissRequestSchema(IntegrityArgs):
    """Set a finding aside: its key, why, and the thresholds of the check that found it (defaults)."""

    key = ma.fields.String(required=True, validate=validate.Length(1, 100))
    note = _text(NOTE_MAX, required=True)


class DismissalSchema(ma.Schema):
    key = ma.fields.String(required=True)
    rule = ma.fields.String(required=True)
    note = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    dismissed_at = ma.fields.DateTime(required=True)


class TreesArgs(AsOfArgs):
    """How many of the network's trees to list."""

    limit = ma.fields.Integer(load_default=20, validate=validate.Range(1, MAX_PAGE))


class TreeTopSchema(ma.Schema):
    """One tree of the network, by its top."""

    kind = ma.fields.String(required=True, validate=_choices(SourceKind))
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    clients = ma.fields.Integer(required=True, metadata={"description": "clients in the tree, its top included"})
    nodes = ma.fields.Integer(required=True, metadata={"description": "nodes a drawing of the whole tree holds"})
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)


class OtherTreesSchema(ma.Schema):
    """The trees a listing leaves out."""

    trees = ma.fields.Integer(required=True)
    clients = ma.fields.Integer(required=True)
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)


class TreesSchema(ma.Schema):
    """The network's trees, biggest first; listed and left out add up to the workspace."""

    trees = ma.fields.Integer(required=True, metadata={"description": "trees in the network"})
    clients = ma.fields.Integer(required=True, metadata={"description": "clients in the network"})
    revenue = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    items = ma.fields.List(ma.fields.Nested(TreeTopSchema), required=True)
    beyond = ma.fields.Nested(OtherTreesSchema, required=True, metadata={"description": "the trees not listed"})


class ExportArgs(AsOfArgs):
    """Graph export format (and depth, for one tree)."""

    format = ma.fields.String(
        load_default="graphml",
        validate=validate.OneOf([f.value for f in GraphFormat]),
        metadata={"description": "graphml, gexf, dot, mermaid, json; kumu (.xlsx), gephi-csv, cytoscape (.zip)"},
    )
    depth = ma.fields.Integer(load_default=None, validate=validate.Range(1, MAX_DEPTH), metadata=_VIEW_DEPTH)


# -- attribution -------------------------------------------------------------------------


class AttributionArgs(ma.Schema):
    """Which model, with which parameters."""

    model = ma.fields.String(load_default=Model.LINEAR.value, validate=_choices(Model))
    depth = ma.fields.Integer(
        load_default=CREDIT_DEPTH,
        validate=validate.Range(1, MAX_DEPTH),
        metadata={"description": f"credit depth: levels of a chain sharing a deal's credit (1 to {MAX_DEPTH})"},
    )
    half_life_days = ma.fields.String(load_default="30", validate=validate.Length(1, 20))
    ratio = ma.fields.String(load_default="0.5", validate=validate.Length(1, 20))
    rates = ma.fields.String(
        load_default="10,5,3,2,1,1,0.5",
        validate=validate.Length(1, 200),
        metadata={"description": "commission percent per level, comma separated"},
    )


class MonthArgs(AttributionArgs):
    """A calendar month (or a date range) and a model."""

    month = ma.fields.String(validate=validate.Length(7, 7), metadata={"example": "2024-05"})
    from_ = ma.fields.Date(data_key="from", metadata={"description": "first day of a date range, instead of month"})
    to = ma.fields.Date(metadata={"description": "last day of the range (inclusive)"})


class PeriodArgs(AttributionArgs):
    """A closed date range and a model."""

    from_ = ma.fields.Date(required=True, data_key="from")
    to = ma.fields.Date(required=True)


class StatementRowSchema(ma.Schema):
    """What one source earned in one currency."""

    source_type = ma.fields.String(required=True)
    source_id = ma.fields.String(required=True)
    source_name = ma.fields.String(required=True)
    currency = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "null on a row that only counts new clients"}
    )
    amount = ma.fields.String(required=True)
    amount_minor = ma.fields.Integer(required=True)
    deals = ma.fields.Integer(required=True, metadata={"description": "deals that credited the source"})
    new_clients_level_1 = ma.fields.Integer(
        required=True, metadata={"description": "clients who came in this month recommended by the source directly"}
    )
    new_clients = ma.fields.Integer(
        required=True,
        metadata={"description": "clients who came in this month with the source on their chain (levels 1..7)"},
    )
    level_1 = ma.fields.String(required=True)
    level_2 = ma.fields.String(required=True)
    level_3 = ma.fields.String(required=True)
    level_4 = ma.fields.String(required=True)
    level_5 = ma.fields.String(required=True)
    level_6 = ma.fields.String(required=True)
    level_7 = ma.fields.String(required=True)
    above_level_7 = ma.fields.String(required=True)


class ClosedMonthRefSchema(ma.Schema):
    month = ma.fields.String(required=True)
    checksum = ma.fields.String(required=True)


class StatementSchema(ma.Schema):
    """A month's (or a date range's) credits per source and currency."""

    month = ma.fields.String(required=True, allow_none=True, metadata={"description": "null for a date range"})
    start = ma.fields.Date(required=True, data_key="from")
    end = ma.fields.Date(required=True, data_key="to")
    model = ma.fields.String(required=True)
    closed = ma.fields.Boolean(required=True, metadata={"description": "true when the month's facts are frozen"})
    checksum = ma.fields.String(
        required=True, allow_none=True, metadata={"description": "sha256 of a closed month's frozen facts"}
    )
    closed_months = ma.fields.List(
        ma.fields.Nested(ClosedMonthRefSchema),
        required=True,
        metadata={"description": "the closed months whose frozen facts the numbers use"},
    )
    rows = ma.fields.List(ma.fields.Nested(StatementRowSchema), required=True)


class StatementExportArgs(MonthArgs):
    """A statement file: which period and model, in which format."""

    format = ma.fields.String(
        load_default="csv",
        validate=validate.OneOf(["csv", "json", "xlsx"]),
        metadata={"description": "csv, json (the rows) or xlsx (the statement workbook)"},
    )
    all_models = ma.fields.Boolean(
        load_default=False, metadata={"description": "every model side by side: one amount column per model"}
    )


class ClosedMonthSchema(ma.Schema):
    """A closed month: its frozen facts' counts and checksum."""

    month = ma.fields.String(required=True)
    closed_at = ma.fields.DateTime(required=True)
    deals = ma.fields.Integer(required=True)
    new_clients = ma.fields.Integer(required=True)
    checksum = ma.fields.String(required=True, metadata={"description": "sha256 of the frozen facts"})


class ClosedMonthsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ClosedMonthSchema), required=True)


class SourceLineSchema(ma.Schema):
    """One deal that credited the source."""

    deal_id = ma.fields.String(required=True)
    closed_on = ma.fields.Date(required=True)
    payer_id = ma.fields.String(required=True)
    payer = ma.fields.String(required=True, metadata={"description": "the paying client's name"})
    currency = ma.fields.String(required=True)
    deal_amount = ma.fields.String(required=True)
    deal_amount_minor = ma.fields.Integer(required=True)
    level = ma.fields.Integer(
        required=True,
        allow_none=True,
        metadata={"description": "the source's level above the payer; null for (direct)"},
    )
    credit = ma.fields.String(required=True)
    credit_minor = ma.fields.Integer(required=True)


class LevelTotalSchema(AmountSchema):
    level = ma.fields.Integer(required=True, allow_none=True)


class SourceStatementSchema(ma.Schema):
    """One source's credits over a period, deal by deal."""

    source_type = ma.fields.String(required=True, metadata={"description": "client, channel, direct or house"})
    source_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    month = ma.fields.String(required=True, allow_none=True)
    start = ma.fields.Date(required=True, data_key="from")
    end = ma.fields.Date(required=True, data_key="to")
    model = ma.fields.String(required=True)
    closed_months = ma.fields.List(ma.fields.Nested(ClosedMonthRefSchema), required=True)
    totals = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    levels = ma.fields.List(
        ma.fields.Nested(LevelTotalSchema),
        required=True,
        metadata={"description": "credit per level and currency, nearest level first"},
    )
    lines = ma.fields.List(ma.fields.Nested(SourceLineSchema), required=True)


class CreditLineSchema(ma.Schema):
    """One credit a client earned from one deal."""

    deal_id = ma.fields.String(required=True)
    level = ma.fields.Integer(required=True, allow_none=True)
    currency = ma.fields.String(required=True)
    amount = ma.fields.String(required=True)
    amount_minor = ma.fields.Integer(required=True)


class ClientCreditsSchema(ma.Schema):
    """What a client earned as a source over a period."""

    client_id = ma.fields.String(required=True)
    model = ma.fields.String(required=True)
    totals = ma.fields.List(ma.fields.Nested(AmountSchema), required=True)
    lines = ma.fields.List(ma.fields.Nested(CreditLineSchema), required=True)


class ImportFileSchema(ma.Schema):
    """One file to import."""

    name = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=200),
        metadata={"description": "file name, used in the report; a .json name reads the content as JSON"},
    )
    content = ma.fields.String(
        load_default=None, metadata={"description": "the file's text (CSV or JSON); or give content_base64"}
    )
    content_base64 = ma.fields.String(
        load_default=None,
        metadata={"description": "the file's bytes in base64: a spreadsheet (.xlsx, .xls, .ods) or a CSV not in UTF-8"},
    )
    encoding = ma.fields.String(
        load_default="utf-8",
        validate=ma.validate.Length(min=1, max=40),
        metadata={"description": "text encoding of a CSV given as content_base64 (e.g. cp1251)"},
    )

    @ma.validates_schema
    def one_content(self, data: dict[str, Any], **kwargs: Any) -> None:
        """Exactly one of content and content_base64."""
        if (data.get("content") is None) == (data.get("content_base64") is None):
            raise ma.ValidationError("give either content or content_base64", field_name="content")


class ImportRequestSchema(ma.Schema):
    """Files to import in one go."""

    files = ma.fields.List(
        ma.fields.Nested(ImportFileSchema), required=True, validate=ma.validate.Length(min=1, max=20)
    )
    dry_run = ma.fields.Boolean(load_default=False, metadata={"description": "check only; write nothing"})
    kind = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(["channels", "clients", "referrals", "deals"]),
        metadata={"description": "what the CSV files hold (default: told from their columns)"},
    )
    sheets = ma.fields.List(
        ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        load_default=list,
        validate=ma.validate.Length(max=50),
        metadata={"description": "sheets of a workbook to read (default: every sheet with data)"},
    )
    map = ma.fields.Dict(
        keys=ma.fields.String(validate=ma.validate.Length(min=1, max=200)),
        values=ma.fields.String(validate=ma.validate.Length(min=1, max=40)),
        load_default=dict,
        validate=ma.validate.Length(max=100),
        metadata={"description": 'headers read as a field, e.g. {"Откуда": "referred_by", "Shoe size": "ignore"}'},
    )
    strict = ma.fields.Boolean(
        load_default=False, metadata={"description": "refuse columns no field reads (default: kept in the notes)"}
    )
    date_order = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(["day-first", "month-first"]),
        metadata={"description": "how 03/04/2024 is read (default: as each column's other dates show)"},
    )
    update = ma.fields.Boolean(
        load_default=False,
        metadata={"description": "overwrite what stored clients hold (default: only fill their empty fields)"},
    )
    format = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=ma.validate.OneOf(FORMATS),
        metadata={"description": "what the files are (default: told from their names and content)"},
    )
    undated = ma.fields.String(
        load_default="refuse",
        validate=ma.validate.OneOf(["refuse", "acquired", "before-first-deal"]),
        metadata={"description": "the date of a recommendation given none (README: Importing)"},
    )


class ImportCountsSchema(ma.Schema):
    """What an import did to one kind of record."""

    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)
    rejected = ma.fields.Integer(required=True)


class ImportSummarySchema(ma.Schema):
    """Counts per kind of record."""

    channels = ma.fields.Nested(ImportCountsSchema, required=True)
    clients = ma.fields.Nested(ImportCountsSchema, required=True)
    referrals = ma.fields.Nested(ImportCountsSchema, required=True)
    deals = ma.fields.Nested(ImportCountsSchema, required=True)


class ImportReportSchema(ma.Schema):
    """The outcome of an import."""

    dry_run = ma.fields.Boolean(required=True)
    written = ma.fields.Integer(required=True, metadata={"description": "records written (0 for a dry run)"})
    summary = ma.fields.Nested(ImportSummarySchema, required=True)
    dated = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        required=True,
        metadata={"description": "recommendations given no date, by the date the undated policy gave them"},
    )
    warnings = ma.fields.List(
        ma.fields.String(), required=True, metadata={"description": "what was read otherwise than written"}
    )
    matches = ma.fields.List(
        ma.fields.String(),
        required=True,
        metadata={"description": "rows matched to a known client: why, what they fill, what they leave"},
    )
    batch = ma.fields.String(
        required=True,
        allow_none=True,
        metadata={"description": "the batch written (POST /imports/{batch}/undo takes it back); null when nothing was"},
    )


class BatchCountsSchema(ma.Schema):
    """What a batch wrote of one kind of record."""

    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)


class BatchSummarySchema(ma.Schema):
    channels = ma.fields.Nested(BatchCountsSchema, required=True)
    clients = ma.fields.Nested(BatchCountsSchema, required=True)
    referrals = ma.fields.Nested(BatchCountsSchema, required=True)
    deals = ma.fields.Nested(BatchCountsSchema, required=True)


class ImportBatchSchema(ma.Schema):
    """One import that wrote something."""

    id = ma.fields.String(required=True)
    created_at = ma.fields.AwareDateTime(required=True)
    files = ma.fields.List(ma.fields.String(), required=True)
    summary = ma.fields.Nested(BatchSummarySchema, required=True)
    undone_at = ma.fields.AwareDateTime(required=True, allow_none=True)


class ImportBatchListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ImportBatchSchema), required=True)


class ImportListQuerySchema(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=ma.validate.Range(min=1, max=1000))


class KindCountsSchema(ma.Schema):
    channels = ma.fields.Integer(required=True)
    clients = ma.fields.Integer(required=True)
    referrals = ma.fields.Integer(required=True)
    deals = ma.fields.Integer(required=True)


class UndoneSchema(ma.Schema):
    """What an undo removed and restored."""

    batch = ma.fields.String(required=True)
    removed = ma.fields.Nested(KindCountsSchema, required=True)
    restored = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True)
