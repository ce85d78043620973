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


class PerComplainant(SimpleRateThrottle):
    """A request rate shared by every token of one complainant (``API_RATE_PER_COMPLAINANT``, e.g. ``1200/min``, or
    the complainant's own ``ApiLimits.requests_per_minute``): making more tokens does not buy more requests. A user
    without a complainant profile (a seller) has only the per-token rate."""

    scope = "complainant"

    def get_cache_key(self, request, view) -> str | None:
        from complaints.models import Complainant

        token = request.auth
        if not isinstance(token, ApiToken):
            return None
        mine = Complainant.objects.filter(user_id=token.user_id)
        row = mine.values_list("pk", "api_limits__requests_per_minute").first()
        if row is None:
            return None
        complainant_id, per_minute = row
        if per_minute is not None:
            self.num_requests, self.duration = per_minute, 60
        return self.cache_format % {"scope": self.scope, "ident": complainant_id}
