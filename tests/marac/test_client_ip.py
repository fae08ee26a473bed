from ipaddress import ip_network

import pytest
from django.test import RequestFactory, override_settings

from marac.client_ip import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


@override_settings(MARAC_TRUSTED_PROXY_COUNT=0)
def test_with_no_proxy_the_forwarded_header_is_ignored():
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"


PROXY_NETWORKS = [ip_network("10.0.0.0/24")]


@override_settings(MARAC_TRUSTED_PROXY_COUNT=1, MARAC_TRUSTED_PROXY_NETWORKS=PROXY_NETWORKS)
@pytest.mark.parametrize(
    "forwarded,expected",
    [
        ("203.0.113.9", "203.0.113.9"),
        ("198.51.100.1, 203.0.113.9", "203.0.113.9"),  # forged entry on the left is ignored
        ("1.1.1.1,2.2.2.2 , 203.0.113.9", "203.0.113.9"),
        ("", "10.0.0.2"),  # nothing forwarded: the request bypassed the proxy
    ],
)
def test_behind_one_proxy_the_rightmost_entry_is_the_client(forwarded, expected):
    assert client_ip(request_from("10.0.0.2", forwarded)) == expected


@override_settings(MARAC_TRUSTED_PROXY_COUNT=1, MARAC_TRUSTED_PROXY_NETWORKS=PROXY_NETWORKS)
def test_a_client_that_bypasses_the_proxy_cannot_forge_its_address():
    assert client_ip(request_from("203.0.113.9", "198.51.100.1")) == "203.0.113.9"
    assert client_ip(request_from("not-an-address", "198.51.100.1")) == "not-an-address"


@override_settings(MARAC_TRUSTED_PROXY_COUNT=2, MARAC_TRUSTED_PROXY_NETWORKS=PROXY_NETWORKS)
def test_behind_two_proxies_the_second_from_the_right_is_the_client():
    assert client_ip(request_from("10.0.0.3", "198.51.100.1, 203.0.113.9, 10.0.0.2")) == "203.0.113.9"
    assert client_ip(request_from("10.0.0.3", "10.0.0.2")) == "10.0.0.3"  # too few hops: trust the socket


@override_settings(MARAC_TRUSTED_PROXY_COUNT=1, MARAC_TRUSTED_PROXY_NETWORKS=PROXY_NETWORKS)
def test_a_proxy_seen_over_ipv6_is_still_the_proxy():
    assert client_ip(request_from("::ffff:10.0.0.2", "203.0.113.9")) == "203.0.113.9"


@override_settings(MARAC_TRUSTED_PROXY_COUNT=1, MARAC_TRUSTED_PROXY_NETWORKS=PROXY_NETWORKS)
@pytest.mark.parametrize("forwarded", ["203.0.113.9:51234", '=HYPERLINK("https://x/")', "unknown", "fe80::1%" + "x" * 100])
def test_a_forwarded_entry_that_is_not_an_address_falls_back_to_the_socket(forwarded):
    assert client_ip(request_from("10.0.0.2", forwarded)) == "10.0.0.2"
