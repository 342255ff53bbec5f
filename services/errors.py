"""Errors a caller can act on. A service raises ``ServiceError``; its transaction
rolls back, so nothing is written, and the API returns the errors in the payload."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from core.text import t


class ErrorCode(str, Enum):
    INVALID_INPUT = "INVALID_INPUT"
    NOT_FOUND = "NOT_FOUND"
    FORBIDDEN = "FORBIDDEN"
    INVALID_STATE = "INVALID_STATE"
    DUPLICATE = "DUPLICATE"
    QUOTA_EXHAUSTED = "QUOTA_EXHAUSTED"
    CONFLICT = "CONFLICT"


@dataclass(frozen=True)
class UserError:
    code: ErrorCode
    message: str
    field: tuple[str, ...] | None = None


class ServiceError(Exception):
    def __init__(self, errors: Sequence[UserError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(e.message for e in self.errors))

    @classmethod
    def one(cls, code: ErrorCode, message: str, field: Sequence[str] | None = None) -> "ServiceError":
        return cls([UserError(code, message, tuple(field) if field is not None else None)])


def invalid(message: str, *field: str) -> ServiceError:
    return ServiceError.one(ErrorCode.INVALID_INPUT, message, field or None)


def not_found(what: str, *field: str) -> ServiceError:
    """``what`` names the thing, itself translatable: ``not_found(t("quota"), "quotaId")``."""
    return ServiceError.one(ErrorCode.NOT_FOUND, t("{what} not found", what=what), field or None)


def invalid_state(message: str, *field: str) -> ServiceError:
    return ServiceError.one(ErrorCode.INVALID_STATE, message, field or None)


def forbidden(message: str | None = None, *field: str) -> ServiceError:
    return ServiceError.one(ErrorCode.FORBIDDEN, message or t("you may not do this"), field or None)


class ErrorCollector:
    """Gathers every input problem before raising, so a client sees them all at once."""

    def __init__(self) -> None:
        self.errors: list[UserError] = []

    def add(self, code: ErrorCode, message: str | None, *field: str) -> None:
        if message:
            self.errors.append(UserError(code, message, tuple(field) if field else None))

    def invalid(self, message: str | None, *field: str) -> None:
        self.add(ErrorCode.INVALID_INPUT, message, *field)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ServiceError(self.errors)


# What a global ID names, in a NOT_FOUND message ("application not found").
THINGS = {
    "application": t("application"), "check": t("check"), "quota": t("quota"),
    "scoring model": t("scoring model"), "social contract": t("social contract"),
}
