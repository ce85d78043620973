import pytest
from django.core.cache import cache

from ipp_portal.accounts import throttle


@pytest.fixture(autouse=True)
def _fresh_limits(request):
    """Every test starts with no rate-limit counts and no axes lockouts, and leaves none behind."""

    def reset():
        cache.clear()
        throttle.reset_for_tests()
        if request.node.get_closest_marker("django_db"):
            from axes.utils import reset as axes_reset

            axes_reset()

    reset()
    yield
    reset()
