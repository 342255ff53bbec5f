"""Failed authentication is rate-limited per client address (the ``limits`` library)."""

from __future__ import annotations

from limits import parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class FailedAuthLimiter:
    def __init__(self, rate: str = "20/minute") -> None:
        self._limit = parse(rate)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allowed(self, client: str) -> bool:
        return self._limiter.test(self._limit, "auth-failures", client)

    def failed(self, client: str) -> None:
        self._limiter.hit(self._limit, "auth-failures", client)
