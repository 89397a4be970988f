"""The gateway at the HTTP level: SSE framing and resuming, detaching, timeouts, bad input."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.gateway.apps import WORDS
from tests.gateway.sse import data_of, events_of, stream

pytestmark = pytest.mark.integration


@pytest.fixture
def client(gateway_url):
    with httpx.Client(base_url=gateway_url, timeout=30) as client:
        yield client


def _words(count: int) -> list[str]:
    return [word + " " for word in WORDS[:count]]


# -- Server-Sent Events ------------------------------------------------------------------


def test_the_sse_framing_of_a_stream(client):
    with client.stream("POST", "/tests.words/stream", json={"input": {"count": 3}}) as response:
        assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
        assert response.headers["cache-control"] == "no-cache"
        task_id = response.headers["kafkatask-task-id"]
        lines = list(response.iter_lines())
    # metadata, three chunks, end: each an event name, an id and one line of JSON data
    assert lines[0] == "event: metadata"
    assert lines[1].startswith("id: ")
    metadata = json.loads(lines[2].removeprefix("data: "))
    assert metadata["task_id"] == task_id
    assert set(metadata) == {"run_id", "task_id"}
    blocks = "\n".join(lines).split("\n\n")
    names = [block.split("\n")[0] for block in blocks if block]
    assert names == ["event: metadata", "event: data", "event: data", "event: data", "event: end"]
    chunks = [json.loads(b.split("\n")[2].removeprefix("data: ")) for b in blocks[1:4]]
    assert chunks == _words(3)
    ids = [block.split("\n")[1] for block in blocks if block]
    assert ids[-1] == ids[-2]  # end repeats the last chunk's id: resuming from it ends again
    assert len(set(ids[:4])) == 4
    assert blocks[4].split("\n")[2] == "data: {}"


def test_a_reader_that_hangs_up_resumes_with_no_gap_and_no_repeat(client):
    first = stream(client, "POST", "/tests.words/stream", json={"input": {"count": 20}}, take=6)
    task_id = first[0].data["task_id"]
    rest = stream(
        client, "GET", f"/tests.words/stream/{task_id}", headers={"Last-Event-ID": first[-1].id}
    )
    assert data_of(first) + data_of(rest) == _words(20)
    assert rest[-1].name == "end"
    # ?after= does the same, for clients that cannot set the header
    again = stream(client, "GET", f"/tests.words/stream/{task_id}?after={first[-1].id}")
    assert data_of(again) == data_of(rest)
    # and with neither, the stream replays from its first chunk
    assert data_of(stream(client, "GET", f"/tests.words/stream/{task_id}")) == _words(20)


def test_resuming_from_the_end_event_ends_again(client):
    events = stream(client, "POST", "/tests.words/stream", json={"input": {"count": 2}})
    task_id, end = events[0].data["task_id"], events[-1]
    again = stream(
        client, "GET", f"/tests.words/stream/{task_id}", headers={"Last-Event-ID": end.id}
    )
    assert [event.name for event in again] == ["end"]


def test_a_detached_stream_is_followed_by_its_url(client):
    answer = client.post("/tests.words/stream?detach=true", json={"input": {"count": 5}})
    assert answer.status_code == 202
    body = answer.json()
    assert answer.headers["location"] == body["stream_url"]
    assert body["stream_url"] == f"/tests.words/stream/{body['task_id']}"
    assert data_of(stream(client, "GET", body["stream_url"])) == _words(5)


def test_several_clients_follow_one_stream_at_once(client, gateway_url):
    answer = client.post(
        "/tests.words/stream?detach=true", json={"input": {"count": 10, "pause": 0.05}}
    )
    url = answer.json()["stream_url"]
    with (
        httpx.Client(base_url=gateway_url, timeout=30) as other,
        client.stream("GET", url) as one,
        other.stream("GET", url) as two,
    ):
        first = list(events_of(one.iter_lines()))
        second = list(events_of(two.iter_lines()))
    assert data_of(first) == data_of(second) == _words(10)


def test_a_quiet_stream_sends_keep_alive_comments(serve):
    with serve(keep_alive=0.1) as url, httpx.Client(base_url=url, timeout=30) as client:
        body = {"input": {"count": 2, "pause": 0.5}}
        with client.stream("POST", "/tests.words/stream", json=body) as response:
            lines = list(response.iter_lines())
    assert ": keep-alive" in lines
    assert data_of(list(events_of(iter(lines)))) == _words(2)


def test_a_worker_error_mid_stream_is_an_error_event_after_the_chunks(client):
    events = stream(client, "POST", "/tests.fail_after/stream", json={"input": 2})
    assert [event.name for event in events] == ["metadata", "data", "data", "error"]
    error = events[-1].data
    assert error["status_code"] == 500
    assert error["type"] == "tests.gateway.apps.QuotaExceededError"
    assert (
        error["message"] == "tests.gateway.apps.QuotaExceededError: quota exceeded after 2 chunks"
    )
    assert "traceback" not in error


def test_tracebacks_only_when_configured(serve):
    with serve(tracebacks=True) as url:
        answer = httpx.post(f"{url}/tests.boom/invoke", json={"input": "x"}, timeout=30)
    assert answer.status_code == 500
    assert "Traceback (most recent call last)" in answer.json()["traceback"]


def test_cancel_on_disconnect_revokes_the_task_when_its_client_goes(client):
    body = {"input": {"count": 30, "pause": 0.1}}
    first = stream(
        client, "POST", "/tests.words/stream?cancel_on_disconnect=true", json=body, take=3
    )
    # The task was revoked and interrupted: its stream ends with that error, early
    events = stream(client, "GET", f"/tests.words/stream/{first[0].data['task_id']}")
    assert events[-1].name == "error"
    assert events[-1].data["type"] == "kafkatask.exceptions.TaskRevokedError"
    assert len(data_of(events)) < 30


def test_by_default_a_client_that_goes_away_cancels_nothing(client):
    body = {"input": {"count": 10, "pause": 0.05}}
    first = stream(client, "POST", "/tests.words/stream", json=body, take=2)
    events = stream(client, "GET", f"/tests.words/stream/{first[0].data['task_id']}")
    assert data_of(events) == _words(10)
    assert events[-1].name == "end"


# -- timeouts: 504 with the task id, and the answer later -------------------------------


def test_no_answer_in_time_is_a_504_naming_the_task_and_its_result_arrives_later(serve, client):
    with serve(timeout=0.5) as url:
        late = httpx.post(f"{url}/tests.sleepy/invoke", json={"input": 1.5}, timeout=30)
    assert late.status_code == 504
    body = late.json()
    assert body["result_url"] == f"/tests.sleepy/invoke/{body['task_id']}"
    # another gateway (this one has a longer timeout) answers with the result
    answer = client.get(body["result_url"])
    assert answer.status_code == 200
    assert answer.json()["output"] == "awake"
    assert answer.json()["metadata"]["task_id"] == body["task_id"]


def test_a_batch_that_times_out_names_the_tasks_still_out(serve, client):
    with serve(timeout=0.8) as url:
        late = httpx.post(f"{url}/tests.sleepy/batch", json={"inputs": [0, 2]}, timeout=30)
    assert late.status_code == 504
    [task_id] = late.json()["task_ids"]
    assert client.get(late.json()["result_urls"][0]).json()["output"] == "awake"
    assert client.get(f"/tests.sleepy/invoke/{task_id}").status_code == 200


def test_a_stream_that_goes_quiet_ends_with_a_504_event_and_can_be_followed_later(serve, client):
    with serve(timeout=0.5) as url, httpx.Client(base_url=url, timeout=30) as quick:
        body = {"input": {"count": 3, "pause": 1.0}}
        events = stream(quick, "POST", "/tests.words/stream", json=body)
    assert events[-1].name == "error"
    assert events[-1].data["status_code"] == 504
    assert events[-1].data["message"].startswith("task tests.words sent nothing for 0.5s")
    task_id = events[-1].data["task_id"]
    assert data_of(stream(client, "GET", f"/tests.words/stream/{task_id}")) == _words(3)


def test_a_result_from_the_wrong_task_path_is_not_found(client):
    done = client.post("/tests.add/invoke", json={"input": {"x": 1, "y": 2}}).json()
    task_id = done["metadata"]["task_id"]
    assert client.get(f"/tests.add/invoke/{task_id}").json()["output"] == 3
    assert client.get(f"/tests.sleepy/invoke/{task_id}").status_code == 404
    assert client.get("/tests.add/invoke/not-a-gateway-id").status_code == 404


def test_a_stream_from_the_wrong_task_path_is_not_found(client):
    events = stream(client, "POST", "/tests.words/stream", json={"input": {"count": 2}})
    task_id = events[0].data["task_id"]
    wrong = stream(client, "GET", f"/tests.fail_after/stream/{task_id}")
    assert [event.name for event in wrong] == ["error"]
    assert wrong[0].data["status_code"] == 404


# -- bad input: a clear answer -----------------------------------------------------------


def test_input_that_fails_the_schema_is_a_422_naming_each_field(client):
    answer = client.post("/tests.add/invoke", json={"input": {"x": "two"}})
    assert answer.status_code == 422
    errors = {error["field"]: error["message"] for error in answer.json()["errors"]}
    assert errors == {
        "input.x": "Input should be a valid integer, unable to parse string as an integer",
        "input.y": "Field required",
    }
    batch = client.post("/tests.add/batch", json={"inputs": [{"x": 1, "y": 2}, {"x": 1}]})
    assert batch.status_code == 422
    assert [error["field"] for error in batch.json()["errors"]] == ["inputs.1.y"]


def test_a_body_that_is_not_langserves_shape_is_a_422(client):
    missing = client.post("/tests.add/invoke", json={"inputs": {"x": 1, "y": 2}})
    assert missing.status_code == 422
    assert [error["field"] for error in missing.json()["errors"]] == ["input"]
    kwargs = client.post("/tests.add/invoke", json={"input": {"x": 1, "y": 2}, "kwargs": {"a": 1}})
    assert kwargs.status_code == 422
    tags = client.post("/tests.add/invoke", json={"input": {"x": 1, "y": 2}, "config": {"tags": 7}})
    assert [error["field"] for error in tags.json()["errors"]] == ["config.tags"]


def test_malformed_json_is_a_400(client):
    answer = client.post(
        "/tests.add/invoke", content=b'{"input": ', headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 400
    assert answer.json()["message"].startswith("the body is not valid JSON")


def test_a_body_that_is_not_json_is_a_415(client):
    answer = client.post(
        "/tests.add/invoke",
        content=b"input=1",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.status_code == 415


def test_a_body_over_the_limit_is_a_413_even_without_a_length(serve):
    big = {"input": {"x": 1, "y": 2}, "config": {"tags": ["t" * 2000]}}
    with serve(body_limit=1024) as url:
        declared = httpx.post(f"{url}/tests.add/invoke", json=big)
        chunked = httpx.post(
            f"{url}/tests.add/invoke",
            content=iter([json.dumps(big).encode()]),
            headers={"Content-Type": "application/json"},
        )
    assert declared.status_code == chunked.status_code == 413
    assert "1,024 bytes" in declared.json()["message"]


def test_a_batch_over_the_limit_is_a_422_naming_it(serve):
    with serve(batch_limit=3) as url:
        answer = httpx.post(f"{url}/tests.add/batch", json={"inputs": [{"x": 1, "y": 1}] * 4})
    assert answer.status_code == 422
    assert answer.json()["limit"] == 3
    assert "at most 3 inputs" in answer.json()["message"]


def test_an_unknown_task_is_a_404_that_lists_nothing_without_a_key(client):
    answer = client.post("/tests.nope/invoke", json={"input": 1})
    assert answer.status_code == 404
    assert "tasks" not in answer.json()
    assert client.get("/no/such/path").status_code == 404


def test_stream_options_that_say_neither_yes_nor_no_are_a_400(client):
    body = {"input": {"count": 1}}
    assert client.post("/tests.words/stream?detach=maybe", json=body).status_code == 400
    odd = client.post("/tests.words/stream", json=body, headers={"Kafkatask-Restarts": "merge"})
    assert odd.status_code == 400
    assert "expected 'report' or 'splice'" in odd.json()["message"]


def test_an_event_id_that_is_not_one_is_a_400(client):
    events = stream(client, "POST", "/tests.words/stream", json={"input": {"count": 1}})
    task_id = events[0].data["task_id"]
    answer = client.get(f"/tests.words/stream/{task_id}", headers={"Last-Event-ID": "nonsense"})
    assert answer.status_code == 400
    assert client.get("/tests.words/stream/not-a-gateway-id").status_code == 404


# -- documentation -----------------------------------------------------------------------


def test_the_api_page_lists_the_tasks_with_examples(client):
    assert client.get("/", follow_redirects=False).headers["location"] == "/docs"
    page = client.get("/docs")
    assert page.status_code == 200
    assert "tests.add" in page.text
    assert "POST /tests.add/invoke" in page.text
    assert "Add two numbers." in page.text
    assert "script" not in page.headers["content-security-policy"].split("default-src")[0]


def test_the_openapi_document_types_each_endpoint_with_the_tasks_schemas(client):
    document = client.get("/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    invoke = document["paths"]["/tests.add/invoke"]["post"]
    body = invoke["requestBody"]["content"]["application/json"]["schema"]
    assert body["properties"]["input"] == {"$ref": "#/components/schemas/tests_add__input"}
    schemas = document["components"]["schemas"]
    assert schemas["tests_add__input"]["properties"]["x"]["type"] == "integer"
    assert "/tests.chat/stream/{task_id}" in document["paths"]
    _every_reference_resolves(document)


def _every_reference_resolves(document: dict) -> None:
    def walk(node):
        if isinstance(node, dict):
            reference = node.get("$ref")
            if reference is not None:
                name = reference.removeprefix("#/components/schemas/")
                assert name in document["components"]["schemas"], reference
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(document)
