"""Browser tests: Playwright driving Debian's Chromium (never a downloaded browser) against live_server."""

import os

import pytest

from tests.accounts import conftest as accounts_conftest

# Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS", "")


# Every browser test signs in from the same address: start each with no rate-limit counts and no lockouts, as the
# account tests do, so that the suite's own sign-ins never trip the sign-in limit.
_fresh_limits = accounts_conftest._fresh_limits


@pytest.fixture(scope="session")
def browser_type_launch_args():
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            # Keep Chromium off the network: only the live server on loopback resolves.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
        ],
    }


@pytest.fixture
def shot(page):
    """Save a screenshot when E2E_SCREENSHOTS names a folder (to look at what a person sees)."""

    def _shot(name: str) -> None:
        if SCREENSHOTS:
            os.makedirs(SCREENSHOTS, exist_ok=True)
            page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)

    return _shot
