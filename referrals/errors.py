"""Typed domain errors; every adapter maps these to its own surface (HTTP status, exit code)."""

from __future__ import annotations

from dataclasses import dataclass

from referrals.i18n import N_, _, lazy


@dataclass(frozen=True, slots=True)
class FieldError:
    """One reason why one field was refused."""

    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


class DomainError(Exception):
    """Base of every error the domain and the stores raise on purpose."""

    # Members an HTTP answer adds to its problem+json body beside `errors` (RFC 9457 extension members).
    extensions: dict[str, object] = {}

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.errors: list[FieldError] = list(errors or [])

    @property
    def field(self) -> str | None:
        """The first field named by this error, if any."""
        return self.errors[0].field if self.errors else None

    @property
    def reason(self) -> str:
        """The first reason given, or the message."""
        return self.errors[0].reason if self.errors else self.message


class Invalid(DomainError):
    """Input that breaks a rule about its own shape or value."""

    def __init__(self, errors: list[FieldError] | FieldError) -> None:
        errs = [errors] if isinstance(errors, FieldError) else list(errors)
        super().__init__("; ".join(str(e) for e in errs) or _("invalid input"), errs)

    @classmethod
    def one(cls, field: str, reason: str) -> Invalid:
        """Shortcut for a single field error."""
        return cls(FieldError(field, reason))


class TooLarge(Invalid):
    """Input too big to take in one go (a body, an import, a transaction); the reason says what to do instead."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(FieldError(field, reason))


# The kinds of record a NotFound names, as people read them (`kind` stays the machine word).
KINDS = {
    "client": N_("client"),
    "channel": N_("channel"),
    "deal": N_("deal"),
    "referral": N_("recommendation"),
    "workspace": N_("workspace"),
    "token": N_("token"),
    "import": N_("import"),
    "dismissal": N_("dismissed finding"),
    "finding": N_("finding"),
    "closed month": N_("closed month"),
    "client or channel": N_("client or channel"),
}


class NotFound(DomainError):
    """A referenced record does not exist in this workspace."""

    def __init__(self, kind: str, id: str, field: str = "id", hint: str = "") -> None:
        """`hint` follows the message: "; did you mean 'Ana Lima'?" or what there is instead."""
        what = lazy(KINDS[kind]) if kind in KINDS else kind
        super().__init__(
            _("%(kind)s %(id)r not found%(hint)s", kind=what, id=id, hint=hint),
            [FieldError(field, _("no %(kind)s with id %(id)r%(hint)s", kind=what, id=id, hint=hint))],
        )
        self.kind = kind
        self.id = id


class Conflict(DomainError):
    """Valid input that clashes with stored data (duplicates, cycles, a second primary source)."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}", [FieldError(field, reason)])


class Unavailable(DomainError):
    """The store cannot be reached or written right now; the caller may retry later.

    `message` may carry driver details for logs; `public` is what a caller is told (never a secret
    or a path), e.g. that the disk is full, so an operator knows what to fix.
    """

    def __init__(self, message: str | None = None, public: str | None = None) -> None:
        message = message or _("the database is unavailable")
        super().__init__(message)
        self.public = public
