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
    with TestClient(create_app(fed, background=False)) as client:
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
