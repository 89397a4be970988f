"""API keys: their two sources and formats, validation that never shows a secret, matching."""

from __future__ import annotations

import hashlib
import json

import pytest
from pydantic import ValidationError

from kafkatask.exceptions import ConfigurationError
from kafkatask.gateway import ApiKey, GatewaySettings, KeyRing
from kafkatask.gateway.keys import load_keys_file

SECRET = "s3cret-0123456789abcdef"

TOML = f"""
[[keys]]
name = "billing"
key = "{SECRET}"
tasks = ["billing.*"]
allow = ["invoke", "batch"]
rate = 5
burst = 10

[[keys]]
name = "ui"
sha256 = "{hashlib.sha256(b"ui-key-0123456789abcdef").hexdigest()}"
"""


def test_a_toml_keys_file(tmp_path):
    path = tmp_path / "keys.toml"
    path.write_text(TOML)
    billing, ui = load_keys_file(path)
    assert (billing.name, billing.rate, billing.burst) == ("billing", 5, 10)
    assert billing.may_call("billing.charge")
    assert not billing.may_call("search.find")
    assert billing.may("batch")
    assert not billing.may("stream")
    assert ui.may_call("anything")  # all tasks, all rights by default
    assert ui.may("stream")


def test_a_json_keys_file(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [{"name": "ci", "key": SECRET}]}))
    [ci] = load_keys_file(path)
    assert ci.key is not None
    assert ci.key.get_secret_value() == SECRET


def test_keys_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("KAFKATASK_GATEWAY_KEYS", json.dumps([{"name": "env", "key": SECRET}]))
    path = tmp_path / "more.toml"
    path.write_text(TOML.replace(SECRET, SECRET[::-1]))
    monkeypatch.setenv("KAFKATASK_GATEWAY_KEYS_FILE", str(path))
    settings = GatewaySettings()
    ring = KeyRing.from_settings(settings.keys, settings.keys_file)
    assert [key.name for key in ring] == ["env", "billing", "ui"]


def test_the_key_a_client_presents_is_found_by_its_digest():
    ring = KeyRing(
        [
            ApiKey(name="plain", key=SECRET),
            ApiKey(name="hashed", sha256=hashlib.sha256(b"hashed-0123456789abcd").hexdigest()),
        ]
    )
    assert ring.identify(SECRET).name == "plain"  # type: ignore[union-attr]
    assert ring.identify("hashed-0123456789abcd").name == "hashed"  # type: ignore[union-attr]
    assert ring.identify(SECRET[:-1]) is None
    assert ring.identify("") is None


@pytest.mark.parametrize(
    ("entry", "problem"),
    [
        ({"name": "a", "key": "short"}, "at least 16 characters"),
        ({"name": "a"}, "either 'key' or 'sha256'"),
        ({"name": "a", "key": SECRET, "sha256": "0" * 64}, "either 'key' or 'sha256'"),
        ({"name": "a b", "key": SECRET}, "name"),
        ({"name": "a", "key": SECRET, "allow": ["delete"]}, "allow"),
        ({"name": "a", "key": SECRET, "burst": 3}, "'burst' needs a 'rate'"),
        ({"name": "a", "key": SECRET, "surprise": 1}, "surprise"),
    ],
)
def test_a_bad_key_is_refused_without_showing_its_secret(tmp_path, entry, problem):
    path = tmp_path / "keys.json"
    path.write_text(json.dumps({"keys": [entry]}))
    with pytest.raises(ConfigurationError, match=problem) as refused:
        load_keys_file(path)
    if "key" in entry:
        assert entry["key"] not in str(refused.value)


def test_settings_errors_do_not_show_secrets_either(monkeypatch):
    monkeypatch.setenv("KAFKATASK_GATEWAY_KEYS", json.dumps([{"name": "x y", "key": SECRET}]))
    with pytest.raises(ValidationError) as refused:
        GatewaySettings()
    assert SECRET not in str(refused.value)


def test_names_and_secrets_are_unique():
    with pytest.raises(ConfigurationError, match="unique: a"):
        KeyRing([ApiKey(name="a", key=SECRET), ApiKey(name="a", key=SECRET[::-1])])
    digest = hashlib.sha256(SECRET.encode()).hexdigest()
    with pytest.raises(ConfigurationError, match="same secret"):
        KeyRing([ApiKey(name="a", key=SECRET), ApiKey(name="b", sha256=digest)])


def test_an_unreadable_or_unknown_file_says_what_is_wrong(tmp_path):
    with pytest.raises(ConfigurationError, match="cannot read the keys file"):
        load_keys_file(tmp_path / "missing.toml")
    broken = tmp_path / "keys.toml"
    broken.write_text("[[keys]\nname=")
    with pytest.raises(ConfigurationError, match="is not valid"):
        load_keys_file(broken)
    yaml = tmp_path / "keys.yaml"
    yaml.write_text("keys: []")
    with pytest.raises(ConfigurationError, match=r"must end in \.toml or \.json"):
        load_keys_file(yaml)
    empty = tmp_path / "empty.json"
    empty.write_text("{}")
    with pytest.raises(ConfigurationError, match="no list of keys"):
        load_keys_file(empty)
