"""`/NAME/ws`: streams over a WebSocket, several at once, resumed after a reconnect."""

from __future__ import annotations

import json

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import ClientConnection, connect

from kafkatask.gateway import ApiKey
from tests.gateway.apps import WORDS

pytestmark = pytest.mark.integration

KEY = "socket-key-0123456789abc"


def _ws(url: str, task: str) -> str:
    return url.replace("http://", "ws://") + f"/{task}/ws"


def _send(socket: ClientConnection, **message) -> None:
    socket.send(json.dumps(message))


def _until_end(socket: ClientConnection, request_id: str | None = None) -> list[dict]:
    """The messages of one request (all of them when `request_id` is None) up to its last."""
    messages = []
    while True:
        message = json.loads(socket.recv(timeout=30))
        if request_id is None or message["id"] == request_id:
            messages.append(message)
            if message["type"] in ("end", "error"):
                return messages


def _data(messages: list[dict]) -> list:
    return [message["data"] for message in messages if message["type"] == "data"]


def _words(count: int) -> list[str]:
    return [word + " " for word in WORDS[:count]]


def test_an_input_streams_its_chunks_then_a_final_message(gateway_url):
    with connect(_ws(gateway_url, "tests.words")) as socket:
        _send(socket, type="stream", id="q1", input={"count": 5})
        messages = _until_end(socket)
    assert [m["type"] for m in messages] == ["metadata", *["data"] * 5, "end"]
    assert {m["id"] for m in messages} == {"q1"}
    assert {m["task_id"] for m in messages} == {messages[0]["data"]["task_id"]}
    assert _data(messages) == _words(5)
    assert all(m["event_id"] for m in messages)


def test_several_inputs_stream_side_by_side_each_in_order(gateway_url):
    with connect(_ws(gateway_url, "tests.words")) as socket:
        _send(socket, type="stream", id="a", input={"count": 8, "pause": 0.01})
        _send(socket, type="stream", id="b", input={"count": 6, "pause": 0.01})
        received = [json.loads(socket.recv(timeout=30)) for _ in range(2 * 2 + 8 + 6)]
    by_request = {request: [m for m in received if m["id"] == request] for request in "ab"}
    assert _data(by_request["a"]) == _words(8)
    assert _data(by_request["b"]) == _words(6)
    assert by_request["a"][-1]["type"] == by_request["b"][-1]["type"] == "end"


def test_a_stream_resumes_after_a_reconnect_with_no_gap_and_no_repeat(gateway_url):
    url = _ws(gateway_url, "tests.words")
    with connect(url) as socket:
        _send(socket, type="stream", id="q", input={"count": 25, "pause": 0.02})
        seen = [json.loads(socket.recv(timeout=30)) for _ in range(6)]  # metadata, 5 chunks
    task_id = seen[0]["data"]["task_id"]
    with connect(url) as socket:  # the connection dropped; a new one picks the stream up
        _send(socket, type="resume", id="q", task_id=task_id, after=seen[-1]["event_id"])
        rest = _until_end(socket)
        _send(socket, type="resume", id="again", task_id=task_id)  # from the first chunk
        whole = _until_end(socket)
    assert _data(seen) + _data(rest) == _words(25)
    assert _data(whole) == _words(25)


def test_cancel_revokes_a_task_the_connection_started(gateway_url):
    with connect(_ws(gateway_url, "tests.words")) as socket:
        _send(socket, type="stream", id="long", input={"count": 30, "pause": 0.1})
        metadata = json.loads(socket.recv(timeout=30))
        _send(socket, type="cancel", task_id=metadata["data"]["task_id"])
        messages = _until_end(socket, "long")
        _send(socket, type="cancel", id="other", task_id="someone-elses")
        refused = _until_end(socket, "other")
    assert messages[-1]["type"] == "error"
    assert messages[-1]["data"]["type"] == "kafkatask.exceptions.TaskRevokedError"
    assert refused[0]["data"]["status_code"] == 404


def test_bad_messages_are_answered_and_the_connection_goes_on(gateway_url):
    with connect(_ws(gateway_url, "tests.add")) as socket:
        socket.send("not json")
        assert json.loads(socket.recv(timeout=30))["data"]["status_code"] == 400
        _send(socket, type="stream", id="q1")
        missing = json.loads(socket.recv(timeout=30))
        assert (missing["id"], missing["data"]["status_code"]) == ("q1", 422)
        _send(socket, type="stream", id="q2", input={"x": "one"})
        fields = [e["field"] for e in json.loads(socket.recv(timeout=30))["data"]["errors"]]
        assert fields == ["input.x", "input.y"]
        _send(socket, type="stream", id="q3", input={"x": 1, "y": 2})
        assert _data(_until_end(socket, "q3")) == [3]


def test_a_worker_error_ends_that_stream_with_an_error(gateway_url):
    with connect(_ws(gateway_url, "tests.fail_after")) as socket:
        _send(socket, type="stream", id="f", input=2)
        messages = _until_end(socket)
    assert _data(messages) == ["chunk0 ", "chunk1 "]
    assert messages[-1]["data"]["type"] == "tests.gateway.apps.QuotaExceededError"


def test_the_handshake_is_refused_for_an_unknown_task_or_another_sites_page(gateway_url):
    with pytest.raises(InvalidStatus) as unknown:
        connect(_ws(gateway_url, "tests.nope"))
    assert unknown.value.response.status_code == 404
    with pytest.raises(InvalidStatus) as foreign:
        connect(_ws(gateway_url, "tests.words"), origin="http://attacker.example")
    assert foreign.value.response.status_code == 403
    with connect(_ws(gateway_url, "tests.words"), origin=gateway_url) as socket:
        _send(socket, type="stream", id="ok", input={"count": 1})
        assert _data(_until_end(socket)) == _words(1)


def test_keys_guard_the_handshake(serve):
    keys = (ApiKey(name="socket", key=KEY), ApiKey(name="caller", key=KEY[::-1], allow=("invoke",)))
    with serve(keys=keys) as url:
        with pytest.raises(InvalidStatus) as anonymous:
            connect(_ws(url, "tests.words"))
        assert anonymous.value.response.status_code == 401
        with pytest.raises(InvalidStatus) as no_right:
            connect(
                _ws(url, "tests.words"), additional_headers={"Authorization": f"Bearer {KEY[::-1]}"}
            )
        assert no_right.value.response.status_code == 403
        with connect(
            _ws(url, "tests.words"), additional_headers={"Authorization": f"Bearer {KEY}"}
        ) as socket:
            _send(socket, type="stream", id="k", input={"count": 2})
            assert _data(_until_end(socket)) == _words(2)


def test_closing_the_connection_revokes_only_the_streams_that_asked(gateway_url):
    url = _ws(gateway_url, "tests.words")
    with connect(url) as socket:
        body = {"count": 30, "pause": 0.1}
        _send(socket, type="stream", id="stop", input=body, cancel_on_disconnect=True)
        _send(socket, type="stream", id="keep", input=body)
        ids: dict[str, str] = {}
        while len(ids) < 2:
            message = json.loads(socket.recv(timeout=30))
            ids[message["id"]] = message["task_id"]
    with connect(url) as socket:
        _send(socket, type="resume", id="stop", task_id=ids["stop"])
        stopped = _until_end(socket, "stop")
        _send(socket, type="resume", id="keep", task_id=ids["keep"])
        kept = _until_end(socket, "keep")
    assert stopped[-1]["data"]["type"] == "kafkatask.exceptions.TaskRevokedError"
    assert _data(kept) == _words(30)
