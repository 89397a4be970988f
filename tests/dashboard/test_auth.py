"""Who may see the dashboard: credentials from settings, basic or bearer, and loopback."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from kafkatask.dashboard import Credentials, create_app, is_loopback
from kafkatask.exceptions import ConfigurationError
from kafkatask.settings import Settings


@pytest.fixture
def guarded(fed):
    fed.credentials = Credentials(token="t0ken", username="ops", password="pa55")
    with TestClient(create_app(fed, background=False), base_url="http://localhost") as client:
        yield client


def test_without_credentials_nothing_is_served(guarded):
    for path in ("/", "/tasks", "/api/overview", "/metrics"):
        refused = guarded.get(path)
        assert refused.status_code == 401
        assert refused.headers["www-authenticate"].startswith("Basic ")


def test_a_bearer_token(guarded):
    assert guarded.get("/api/workers", headers={"Authorization": "Bearer t0ken"}).status_code == 200
    assert guarded.get("/api/workers", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_basic_with_user_and_password_or_with_the_token(guarded):
    assert guarded.get("/", auth=("ops", "pa55")).status_code == 200
    assert guarded.get("/", auth=("anyone", "t0ken")).status_code == 200
    assert guarded.get("/", auth=("ops", "wrong")).status_code == 401
    assert guarded.get("/", auth=("root", "pa55")).status_code == 401
    assert guarded.get("/", headers={"Authorization": "Basic %%%"}).status_code == 401


def test_health_and_static_files_are_open(guarded):
    assert guarded.get("/healthz").status_code == 200
    assert guarded.get("/static/dashboard.css").status_code == 200


def test_credentials_come_from_settings():
    settings = Settings(dashboard_token="abc", dashboard_username="u", dashboard_password="p")
    assert Credentials.from_settings(settings) == Credentials("abc", "u", "p")
    assert not Credentials.from_settings(Settings()).configured
    with pytest.raises(ConfigurationError, match="both"):
        Credentials.from_settings(Settings(dashboard_username="u"))


def test_the_token_environment_variable_of_docker_compose(monkeypatch):
    monkeypatch.setenv("KAFKATASK_DASHBOARD_TOKEN", "from-env")
    assert Credentials.from_settings(Settings()).token == "from-env"


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.4", False),
        ("example.com", False),
    ],
)
def test_is_loopback(host, loopback):
    assert is_loopback(host) is loopback


def test_without_credentials_only_loopback_host_names_are_answered(fed):
    # DNS rebinding: a page on evil.example whose name now points at 127.0.0.1 sends
    # `Host: evil.example:5555`; without credentials that is all that stands in its way.
    with TestClient(create_app(fed, background=False), base_url="http://localhost") as client:
        for host in ("localhost:5555", "127.0.0.1:5555", "[::1]:5555"):
            assert client.get("/api/workers", headers={"Host": host}).status_code == 200
        refused = client.get("/api/workers", headers={"Host": "evil.example:5555"})
        assert refused.status_code == 403
        assert "KAFKATASK_DASHBOARD_TOKEN" in refused.text
        revoke = client.post("/api/tasks/t1/revoke", headers={"Host": "evil.example:5555"})
        assert revoke.status_code == 403


def test_malformed_credentials_are_refused_not_crashed_on(guarded):
    for header in ("Basic \u00e9", "Basic w6k=", "Bearer \u00e9"):
        raw = [(b"authorization", header.encode("latin-1"))]
        assert guarded.get("/", headers=raw).status_code == 401
