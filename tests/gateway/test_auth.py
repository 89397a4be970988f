"""Who may call the gateway: API keys, their tasks, rights and rates; loopback without keys."""

from __future__ import annotations

import hashlib
import logging
import time

import httpx
import pytest

from kafkatask.gateway import ApiKey
from kafkatask.kafka.config import consumer_config
from kafkatask.kafka.partition_reader import PartitionReader
from kafkatask.protocol import decode_events

pytestmark = pytest.mark.integration

OPS = "ops-key-0123456789abcdef"
READER = "reader-key-0123456789abc"
LIMITED = "limited-key-0123456789ab"
HASHED = "hashed-key-0123456789abc"
SECRETS = (OPS, READER, LIMITED, HASHED)
KEYS = (
    ApiKey(name="ops", key=OPS),
    ApiKey(name="reader", key=READER, tasks=("tests.add", "tests.whoami"), allow=("invoke",)),
    ApiKey(name="limited", key=LIMITED, rate=0.5, burst=2),
    ApiKey(name="hashed", sha256=hashlib.sha256(HASHED.encode()).hexdigest(), tasks=("tests.*",)),
)


@pytest.fixture(scope="module")
def keyed_url(serve):
    with serve(keys=KEYS) as url:
        yield url


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _add(url: str, **options) -> httpx.Response:
    return httpx.post(
        f"{url}/tests.add/invoke", json={"input": {"x": 1, "y": 2}}, timeout=30, **options
    )


def test_no_key_is_a_401_with_a_challenge(keyed_url):
    for answer in (
        _add(keyed_url),
        httpx.get(f"{keyed_url}/docs"),
        httpx.get(f"{keyed_url}/openapi.json"),
        httpx.post(f"{keyed_url}/tests.nope/invoke", json={"input": 1}),  # 401 before 404
    ):
        assert answer.status_code == 401
        assert answer.headers["www-authenticate"].startswith('Bearer realm="kafkatask gateway"')
        assert "tasks" not in answer.json()
    assert httpx.get(f"{keyed_url}/healthz").status_code == 200


def test_a_wrong_key_is_a_401_that_does_not_echo_it(keyed_url):
    answer = _add(keyed_url, headers=_as("wrong-key-0123456789abcd"))
    assert answer.status_code == 401
    assert "wrong-key" not in answer.text


def test_a_key_as_bearer_token_or_as_basic_password(keyed_url):
    assert _add(keyed_url, headers=_as(OPS)).json()["output"] == 3
    assert _add(keyed_url, auth=("anyone", OPS)).json()["output"] == 3
    assert _add(keyed_url, headers=_as(HASHED)).json()["output"] == 3  # configured by digest


def test_a_key_without_the_task_or_the_right_is_a_403(keyed_url):
    reader = _as(READER)
    assert _add(keyed_url, headers=reader).status_code == 200
    other_task = httpx.post(f"{keyed_url}/tests.boom/invoke", json={"input": "x"}, headers=reader)
    assert other_task.status_code == 403
    assert "may not call task tests.boom" in other_task.json()["message"]
    batch = httpx.post(f"{keyed_url}/tests.add/batch", json={"inputs": []}, headers=reader)
    assert batch.status_code == 403
    assert "may not batch" in batch.json()["message"]
    stream = httpx.post(f"{keyed_url}/tests.add/stream", json={"input": {}}, headers=reader)
    assert stream.status_code == 403
    assert READER not in batch.text + stream.text + other_task.text


def test_an_unknown_task_lists_the_tasks_the_key_may_call(keyed_url):
    answer = httpx.post(f"{keyed_url}/tests.nope/invoke", json={"input": 1}, headers=_as(READER))
    assert answer.status_code == 404
    assert answer.json()["tasks"] == ["tests.add", "tests.whoami"]


def test_a_key_over_its_rate_is_a_429_with_retry_after(keyed_url):
    limited = _as(LIMITED)
    answers = [_add(keyed_url, headers=limited) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 429]
    refused = answers[-1]
    assert refused.headers["retry-after"] == "2"  # a token every 2 s, the burst spent
    assert 0 < refused.json()["retry_after"] <= 2
    assert _add(keyed_url, headers=_as(OPS)).status_code == 200  # the others are not limited


def test_the_api_page_and_openapi_show_only_what_the_key_may_use(keyed_url):
    document = httpx.get(f"{keyed_url}/openapi.json", headers=_as(READER)).json()
    assert set(document["paths"]) == {
        f"/{task}/{endpoint}"
        for task in ("tests.add", "tests.whoami")
        for endpoint in (
            "invoke",
            "invoke/{task_id}",
            "input_schema",
            "output_schema",
            "config_schema",
        )
    }
    assert document["security"] == [{"key": []}]
    page = httpx.get(f"{keyed_url}/docs", headers=_as(READER)).text
    assert "tests.add" in page
    assert "tests.boom" not in page
    assert "/batch" not in page


def test_the_caller_travels_in_the_tasks_headers_and_its_events(keyed_url, served_app):
    answer = httpx.post(
        f"{keyed_url}/tests.whoami/invoke", json={"input": "hi"}, headers=_as(READER), timeout=30
    )
    assert answer.json()["output"] == {"kt-caller": "reader"}  # the key's name, not the key
    task_id = answer.json()["metadata"]["task_id"]
    assert _events_of(served_app, task_id)["task-received"].caller == "reader"


def _events_of(app, task_id: str, timeout: float = 30.0) -> dict:
    settings = app.settings
    reader = PartitionReader(
        consumer_config(settings, "test-events", f"{settings.namespace}.test-events"),
        app.topology.names.events,
        0,
        0,
    )
    found: dict = {}
    deadline = time.monotonic() + timeout
    try:
        while "task-received" not in found and time.monotonic() < deadline:
            for record in reader.take(0.2):
                for event in decode_events(record.value(), record.headers()):
                    if event.task_id == task_id:
                        found[event.type] = event
    finally:
        reader.close()
    return found


def test_keys_are_never_logged(serve, caplog):
    caplog.set_level(logging.DEBUG)
    with serve(keys=KEYS) as url:
        _add(url, headers=_as("wrong-key-0123456789abcd"))
        _add(url, headers=_as(OPS))
    assert not any(secret in caplog.text for secret in SECRETS)


def test_without_keys_only_requests_to_a_loopback_host_are_answered(gateway_url):
    assert _add(gateway_url).status_code == 200
    rebound = _add(gateway_url, headers={"Host": "attacker.example:8000"})
    assert rebound.status_code == 403
    assert "loopback" in rebound.json()["message"]
