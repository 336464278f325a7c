"""Where deliveries may go: public addresses only, checked on every address a host resolves to
when the connection is opened, unless HOOKS_ALLOW_PRIVATE_NETWORKS is on."""

import httpx
import pytest

from hooks.network import hook_client, is_public, refused_reason

from .receiver import Receiver


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("127.0.0.1", False),
        ("10.0.0.1", False),
        ("172.16.5.4", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),
        ("100.64.0.1", False),
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1%eth0", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:10.0.0.1", False),
        ("93.184.216.34", True),
        ("2606:4700:4700::1111", True),
    ],
)
def test_public_addresses(address, public):
    assert is_public(address) is public


def test_literal_private_hosts_are_named():
    assert refused_reason("localhost")
    assert refused_reason("[::1]")
    assert refused_reason("10.1.2.3")
    assert refused_reason("erp.example.com") is None  # names are checked when connecting
    assert refused_reason("93.184.216.34") is None


def test_a_name_that_resolves_to_loopback_is_refused_when_connecting(settings):
    settings.HOOKS_ALLOW_PRIVATE_NETWORKS = False
    settings.HOOKS_TIMEOUT_SECONDS = 2
    with Receiver() as receiver:
        port = receiver.server.server_address[1]
        for url in (f"http://localhost:{port}/", receiver.url):
            with hook_client() as client, pytest.raises(httpx.ConnectError, match="private"):
                client.post(url, content=b"{}")
        assert receiver.events() == []

        settings.HOOKS_ALLOW_PRIVATE_NETWORKS = True
        with hook_client() as client:
            assert client.post(f"http://localhost:{port}/", content=b"{}").status_code == 200
    assert len(receiver.events()) == 1


def test_redirects_are_not_followed(settings):
    settings.HOOKS_ALLOW_PRIVATE_NETWORKS = True
    with Receiver(lambda request, seen: (301, 0.0)) as receiver, hook_client() as client:
        assert client.post(receiver.url, content=b"{}").status_code == 301
    assert len(receiver.events()) == 1
