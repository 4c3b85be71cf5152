"""User-given URLs reach only public addresses: loopback, private, link-local, mapped and
odd spellings of them are refused, before DNS and after it."""

from __future__ import annotations

import pytest
from ringbook.net_guard import (
    Destination,
    RefusedDestination,
    check_url,
    is_public_address,
    resolve_public,
)


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/x", "http://10.1.2.3/", "http://192.168.0.10:8080/", "http://172.16.5.4/",
    "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
    "http://[fe80::1]/", "http://0.0.0.0/", "http://localhost:8000/", "http://LOCALHOST./", "http://api.localhost/", "http://100.64.0.1/",
])
def test_private_and_local_addresses_are_refused(url: str) -> None:
    with pytest.raises(RefusedDestination, match="private or local"):
        check_url(url, allow_private=False)


@pytest.mark.parametrize("url", ["ftp://example.com/", "file:///etc/passwd", "gopher://x",
                                 "http:///nohost", "https://user:pw@example.com/", "not a url"])
def test_other_schemes_and_malformed_urls_are_refused(url: str) -> None:
    with pytest.raises(RefusedDestination):
        check_url(url, allow_private=False)


def test_a_public_url_passes_with_its_port() -> None:
    assert check_url("https://api.example.com/v1", allow_private=False) == Destination(
        "https", "api.example.com", 443)
    assert check_url("http://8.8.8.8:8080/", allow_private=False).port == 8080


def test_the_development_setting_allows_local_addresses() -> None:
    assert check_url("http://127.0.0.1:9000/", allow_private=True).host == "127.0.0.1"


async def test_a_name_resolving_to_loopback_is_refused_at_resolution() -> None:
    # "localhost" resolves locally without any network; the check after resolution is
    # what stops a public-looking name that points home (DNS rebinding).
    destination = Destination("http", "localhost", 80)
    with pytest.raises(RefusedDestination, match="private or local"):
        await resolve_public(destination, allow_private=False)
    assert await resolve_public(destination, allow_private=True) in ("127.0.0.1", "::1")


async def test_a_name_that_does_not_resolve_is_refused() -> None:
    with pytest.raises(RefusedDestination, match="does not resolve"):
        await resolve_public(Destination("http", "no-such-host.invalid", 80), allow_private=False)


def test_address_classes() -> None:
    assert is_public_address("8.8.8.8")
    assert not is_public_address("224.0.0.1")
    assert not is_public_address("::ffff:10.0.0.1")
