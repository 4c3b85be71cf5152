"""Test helper modules are imported by bare name (each service's tests put their own
folder on ``sys.path``), so two helpers with one name in different services would make
the whole suite import whichever came first, and one service's tests fail only when run
with the other's."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NOT_HELPERS = {"conftest.py", "__init__.py"}


def test_no_two_test_helper_modules_share_a_name() -> None:
    helpers = [
        path.name
        for path in REPO.glob("services/*/tests/*.py")
        if path.name not in NOT_HELPERS and not path.name.startswith("test_")
    ]
    assert helpers, "no test helper modules found: the glob no longer matches the layout"
    shared = sorted(name for name, count in Counter(helpers).items() if count > 1)
    assert shared == []
