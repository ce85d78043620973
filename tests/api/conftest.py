import pytest
from rest_framework.test import APIClient

from complaints.api.services import api_token_create


@pytest.fixture
def bearer():
    """A client for the API with a new token of ``user`` (``scopes`` default to reading)."""

    def make(user, scopes=("read",)):
        _token, secret = api_token_create(user=user, name="Tests", scopes=scopes)
        client = APIClient(REMOTE_ADDR="198.51.100.7")
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
        return client

    return make
