"""The README's "Integrate in 10 minutes" block, run as it stands by bash and curl against a live portal: token to
filed claim to a signed webhook of the decision, using nothing but what the README shows."""

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from complaints.api.services import api_token_create
from complaints.models import Claim
from listings.models import Site
from tests.factories import PDF_BYTES, ListingFactory, SellerFactory, make_complainant, make_right, take_down
from tests.webhook_receiver import Receiver, signed_by

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("curl") is None, reason="the README's examples need curl"),
]

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_block() -> str:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Integrate in 10 minutes", 1)[1]
    return re.search(r"```sh\n(.*?)```", section, re.S).group(1)


def with_values(block: str, **values: str) -> str:
    """The block with the reader's own values in its three ``export`` lines (nothing else changes)."""
    for name, value in values.items():
        block, found = re.subn(rf"^export {name}=.*$", f"export {name}={value}", block, flags=re.M)
        assert found == 1, name
    return block


def bash(script: str, cwd: Path) -> subprocess.CompletedProcess:
    """The script run as a reader would paste it: bash, stopping at the first failing command."""
    shell = shutil.which("bash") or "/bin/bash"
    return subprocess.run(  # noqa: S603 - the README's own text, run in a scratch folder
        [shell, "-euo", "pipefail", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_the_readme_takes_a_vendor_from_token_to_a_signed_webhook_of_the_decision(live_server, settings, tmp_path):
    settings.WEBHOOKS_ALLOW_HTTP_LOCAL = True  # the receiver below is on 127.0.0.1 over plain http
    holder = make_complainant(legal_name="Acme Brands Ltd.")
    make_right(holder, title="ACME")
    listing = ListingFactory(
        seller=SellerFactory(site=Site.objects.get(code="alibaba")), external_id="1600000000001", title="Earbuds"
    )
    _token, secret = api_token_create(user=holder.user, name="Monitoring", scopes=["read", "file"])
    receiver = Receiver()
    (tmp_path / "test-buy.pdf").write_bytes(PDF_BYTES)
    script = with_values(
        readme_block(), IPP_URL=live_server.url, IPP_TOKEN=secret, IPP_WEBHOOK_URL=receiver.url("/ipp")
    )

    run = bash(script, tmp_path)

    assert run.returncode == 0, run.stderr
    fileable, webhook_secret, status = run.stdout.split()
    claim = Claim.objects.get()
    assert fileable == "1"
    assert (status, claim.status) == ("submitted", "submitted")
    assert [item.listing for item in claim.items.all()] == [listing]
    assert [document.original_name for document in claim.evidence.all()] == ["test-buy.pdf"]
    assert claim.signature_name == "Jane Doe"

    take_down(claim)  # staff decide: the listing, and with it the whole claim

    events = {event["type"]: event for event in (json.loads(r["body"]) for r in receiver.received)}
    assert sorted(events) == ["claim.decided", "claim_item.decided"]
    assert events["claim_item.decided"]["data"]["claim"]["id"] == claim.pk
    assert [item["status"] for item in events["claim_item.decided"]["data"]["items"]] == ["removed"]
    assert all(signed_by(webhook_secret, delivery) for delivery in receiver.received)
    receiver.stop()


def test_the_readme_filing_step_sent_again_returns_the_same_claim(live_server, tmp_path):
    holder = make_complainant()
    make_right(holder, title="ACME")
    ListingFactory(seller=SellerFactory(site=Site.objects.get(code="alibaba")), external_id="1600000000001")
    _token, secret = api_token_create(user=holder.user, name="Monitoring", scopes=["read", "file"])
    (tmp_path / "test-buy.pdf").write_bytes(PDF_BYTES)
    block = with_values(
        readme_block(), IPP_URL=live_server.url, IPP_TOKEN=secret, IPP_WEBHOOK_URL="https://hooks.example.com/ipp"
    )
    filing = block.split("# 5.")[0] + 'echo "$CLAIM"\n'
    # Step 4's request alone, sent again with the same claim.json (a retry after a lost answer, say).
    setup, post = block.split("# 1.")[0], block.split("# 4.")[1].split("\nJSON\n", 1)[1].split("# 5.")[0]

    first, again = (bash(script, tmp_path) for script in (filing, setup + post + 'echo "$CLAIM"\n'))

    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    assert first.stdout.split()[-1] == again.stdout.split()[-1] == str(Claim.objects.get().pk)
