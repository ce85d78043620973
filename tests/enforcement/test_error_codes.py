"""Enforcement's error codes are one enum without synonyms, and the services raise only its members."""

import inspect
import re

from enforcement import services
from enforcement.errors import Code


def test_one_code_per_meaning():
    assert len(set(Code.values)) == len(Code.values)
    # Shared meanings are spelled as complaints spells them.
    assert {"reason_required", "statement_required", "bad_outcome"} <= set(Code.values)
    assert "no_reason" not in Code.values


def test_services_raise_only_listed_codes():
    """A code spelled out as a string in a service would slip past the enum."""
    source = inspect.getsource(services)
    assert not re.search(r'\bcode\s*=\s*["\']', source)
    used = re.findall(r"\bcode\s*=\s*Code\.(\w+)", source)
    assert used
    assert set(used) <= set(Code.__members__)
    assert len(re.findall(r"\bcode\s*=", source)) == len(used)
