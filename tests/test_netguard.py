"""The address guard: without WIRETRACE_ALLOW_PRIVATE_URLS=1 no fetch reaches a private, loopback or link-local address."""

from __future__ import annotations

import httpcore
import pytest

from server.crawl import Fetcher, FetchFailed, FetchPolicy
from server.netguard import BlockedAddress, GuardedBackend, check_url, is_public_address
from tests.crawl_site import FixtureSite, Route


@pytest.fixture
def site():
    served = FixtureSite().start()
    served.routes["/robots.txt"] = Route("", status=404)
    served.routes["/page"] = Route("<html><body><p>hello</p></body></html>")
    yield served
    served.stop()


@pytest.fixture
def guarded(monkeypatch):
    monkeypatch.delenv("WIRETRACE_ALLOW_PRIVATE_URLS", raising=False)


def fetcher() -> Fetcher:
    return Fetcher(FetchPolicy(user_agent="wiretrace/test", delay=0, timeout=2, retries=0))


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "ff02::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "2002:7f00:1::1",
        "64:ff9b::a00:1",
        "240.0.0.1",
    ],
)
def test_non_public_addresses_are_refused(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:1.1.1.1"])
def test_public_addresses_pass(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://localhost:8080/x",
        "http://[::1]/",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/",
        "http://[::ffff:127.0.0.1]/",
        "http://0x7f000001/",
    ],
)
def test_urls_to_private_hosts_are_refused_before_any_request(guarded, url):
    with pytest.raises(BlockedAddress) as caught:
        check_url(url)
    assert "WIRETRACE_ALLOW_PRIVATE_URLS=1" in str(caught.value)


def test_the_fixture_server_is_refused_without_the_variable_and_reached_with_it(site, monkeypatch, guarded):
    with fetcher() as client, pytest.raises(FetchFailed) as caught:
        client.fetch(site.url("/page"))
    assert caught.value.kind == "blocked" and "127.0.0.1" in caught.value.reason
    assert site.requests == []
    monkeypatch.setenv("WIRETRACE_ALLOW_PRIVATE_URLS", "1")
    with fetcher() as client:
        assert client.fetch(site.url("/page")).status == 200


def test_every_redirect_hop_is_checked(site, monkeypatch, guarded):
    # The fixture server stands for a public site (127.0.0.1 counts as public here); its redirect to
    # another loopback address, IPv6 loopback, link-local or private ones must still be refused.
    import server.netguard as netguard

    real = netguard.is_public_address
    monkeypatch.setattr(netguard, "is_public_address", lambda address: address == "127.0.0.1" or real(address))
    port = site.base.rsplit(":", 1)[1]
    for target in (
        f"http://127.0.0.2:{port}/admin",
        "http://[::1]:6379/",
        "http://169.254.169.254/",
        "http://10.0.0.1/",
    ):
        site.routes["/hop"] = Route(status=302, headers={"Location": target})
        with fetcher() as client:
            assert client.fetch(site.url("/page")).status == 200  # the "public" site itself is reachable
            with pytest.raises(FetchFailed) as caught:
                client.fetch(site.url("/hop"))
        assert caught.value.kind == "blocked", target
        assert "private, loopback or otherwise non-public" in caught.value.reason
    assert "/admin" not in site.paths_requested()


def test_the_connected_address_is_checked_whatever_the_name_resolved_to(site, guarded):
    # DNS rebinding: a name that resolved to a public address for check_url and to loopback at connect time.
    # The socket's peer is what the backend checks, so connecting to loopback fails even with no name check.
    port = int(site.base.rsplit(":", 1)[1])
    with pytest.raises(httpcore.ConnectError) as caught:
        GuardedBackend().connect_tcp("127.0.0.1", port, timeout=2)
    assert "not a public address" in str(caught.value)
    with fetcher() as client:
        import httpx

        with pytest.raises(httpx.ConnectError):
            client._client.get(site.url("/page"))  # no check_url on this path: only the transport's guard
    assert site.requests == []
