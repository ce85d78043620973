"""The project's settings with no middleware at all: the ceiling bench/http_ceiling.py measures against.

Used only by the benchmark (DJANGO_SETTINGS_MODULE=bench.settings_nomiddleware), never deployed.
"""

from ipp_portal.settings import *  # noqa: F403

MIDDLEWARE = []

# The admin's system checks insist on the session, auth and messages middleware; /ping uses none of them.
SILENCED_SYSTEM_CHECKS = ["admin.E408", "admin.E409", "admin.E410"]
