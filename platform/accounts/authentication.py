import hashlib

from django.conf import settings
from rest_framework.authentication import TokenAuthentication

# How long a token's published identity lives in the cache when nothing revokes it
# first: a safety net for writes that bypass the model signals (``QuerySet.update``).
BEARER_IDENTITY_SECONDS = 3600


class BearerTokenAuthentication(TokenAuthentication):
    """``Authorization: Bearer <token>`` as the API contract states (DRF says "Token")."""

    keyword = "Bearer"


def bearer_identity_key(token_key: str) -> str:
    """Cache key of a token's published identity (see ``accounts.services``); the token
    itself never appears in Redis, only its digest."""
    return "bearer:" + hashlib.sha256(token_key.encode()).hexdigest()


def bearer_identities_enabled() -> bool:
    """Identities are published only where a process other than Django reads them: the
    dashboard's ASGI fast path, which needs the shared Redis cache (not embedded mode's
    per-process memory)."""
    return "redis" in settings.CACHES["default"]["BACKEND"].lower()
