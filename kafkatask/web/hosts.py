"""Loopback addresses, and the Host-header check of a service that has no credentials.

A service without credentials (the dashboard without a token, the gateway without API keys)
listens on loopback only, and answers only requests that name a loopback host: a web page whose
own host name was pointed at 127.0.0.1 (DNS rebinding) sends its own name in the Host header,
and is refused.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback(host: str) -> bool:
    """Whether `host` (a listen address) is reachable only from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def names_loopback(host_header: str) -> bool:
    """Whether a request's Host header (`name[:port]`) names a loopback host."""
    try:
        host = urlsplit(f"//{host_header}").hostname
    except ValueError:
        return False
    return host is not None and is_loopback(host)
