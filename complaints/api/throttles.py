from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class PerToken(SimpleRateThrottle):
    """A request rate per token (``API_RATE_PER_TOKEN``, e.g. ``600/min``); beyond it a 429 with Retry-After."""

    scope = "token"

    def get_cache_key(self, request, view) -> str | None:
        token = request.auth
        if not isinstance(token, ApiToken):
            return None  # the public schema; anything else is refused before throttling matters
        return self.cache_format % {"scope": self.scope, "ident": token.pk}
