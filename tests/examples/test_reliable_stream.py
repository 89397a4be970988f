"""examples/reliable_stream runs as its README starts it (`python -m examples.reliable_stream`,
the site and a worker in one process) against the real broker: the API end to end, and the
page in Chromium, reloaded mid-reply."""

from __future__ import annotations

import re
import subprocess
import sys
import threading
import uuid
from collections.abc import Callable, Iterator

import httpx
import pytest

from examples.models import CHAT_MODEL
from examples.reliable_stream.generation import ANSWER
from kafkatask.settings import Settings
from kafkatask.testing.plugin import delete_namespace
from tests.examples.breaking_model import TOKENS_BEFORE_BREAKING
from tests.gateway.sse import Event, stream
from tests.helpers import (
    ROOT,
    chromium_page,
    free_port,
    settings_env,
    stop,
    wait_for,
)

pytestmark = pytest.mark.integration

Serve = Callable[..., str]


@pytest.fixture(scope="module")
def serve(kafka_bootstrap_servers, tmp_path_factory) -> Iterator[Serve]:
    """Starts the example in a namespace of its own; stops it and deletes its topics after."""
    logs = tmp_path_factory.mktemp("reliable-stream-logs")
    started: list[tuple[subprocess.Popen[bytes], str]] = []

    def start(env: dict[str, str] | None = None, namespace: str | None = None) -> str:
        namespace = namespace or new_namespace()
        settings = Settings(
            bootstrap_servers=kafka_bootstrap_servers,
            namespace=namespace,
            stream_partitions=2,
            result_partitions=2,
            shutdown_grace=5.0,
        )
        port = free_port()
        log = logs / f"{namespace}.log"
        with log.open("ab") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "examples.reliable_stream", "--port", str(port)],
                env={**settings_env(settings), **(env or {})},
                cwd=ROOT,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append((process, namespace))
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            assert process.poll() is None, log.read_text()
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.TransportError:
                return False

        wait_for(up, 60, "the example to answer")
        return url

    yield start
    for process, _ in started:
        stop(process)
    for namespace in {namespace for _, namespace in started}:
        delete_namespace(kafka_bootstrap_servers, namespace)


def new_namespace() -> str:
    return f"x-reliable-stream-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def namespace() -> str:
    return new_namespace()


@pytest.fixture(scope="module")
def site(serve, namespace) -> str:
    return serve(namespace=namespace)


@pytest.fixture
def client(site) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site, timeout=30) as client:
        yield client


def chat(client: httpx.Client, message: str = "Why Kafka?") -> str:
    """Start a reply in a new conversation; its id."""
    conversation = f"c-{uuid.uuid4().hex[:12]}"
    answer = client.post("/chat", json={"conversation_id": conversation, "message": message})
    assert answer.status_code == 202, answer.text
    assert answer.json()["stream_url"].startswith(f"/stream/{conversation}?from=")
    return conversation


def text_of(events: list[Event]) -> str:
    return "".join(event.data["content"] for event in events if event.name == "text")


def test_a_reply_streams_from_its_start_to_finish(client):
    conversation = chat(client)
    events = stream(client, "GET", f"/stream/{conversation}")
    assert text_of(events) == ANSWER
    assert [event.name for event in events] == ["text"] * (len(events) - 1) + ["finish"]
    assert all(event.data["type"] == event.name for event in events)
    assert len({event.id for event in events[:-1]}) == len(events) - 1  # one id per chunk
    assert events[-1].id == events[-2].id  # finish repeats it: resuming there finishes again


def test_a_reader_that_hangs_up_mid_reply_resumes_after_its_last_event_id(client):
    conversation = chat(client)
    first = stream(client, "GET", f"/stream/{conversation}", take=7)
    assert len(first) == 7  # it hung up after seven of the reply's events
    rest = stream(client, "GET", f"/stream/{conversation}", headers={"Last-Event-ID": first[-1].id})
    assert text_of(first) + text_of(rest) == ANSWER  # no gap, no repeat
    assert rest[-1].name == "finish"


def test_from_replays_a_finished_reply_from_any_event(client):
    conversation = f"c-{uuid.uuid4().hex[:12]}"
    started = client.post("/chat", json={"conversation_id": conversation, "message": "Hi"})
    events = stream(client, "GET", started.json()["stream_url"])  # ?from= its start: all of it
    assert text_of(events) == ANSWER
    for point in (0, 11, len(events) - 2):
        replayed = stream(client, "GET", f"/stream/{conversation}?from={events[point].id}")
        assert replayed == events[point + 1 :]


def test_another_process_resumes_a_reply_it_never_saw(client, serve, namespace):
    # Given a reply started through one process of the site, read in part there
    conversation = chat(client)
    first = stream(client, "GET", f"/stream/{conversation}", take=5)
    # When a second process of the same namespace is asked to go on after the last event
    other = serve(namespace=namespace)
    with httpx.Client(base_url=other, timeout=30) as elsewhere:
        rest = stream(elsewhere, "GET", f"/stream/{conversation}?from={first[-1].id}")
        # Then it does, from Kafka alone; only "the latest reply" is this process's own
        assert text_of(first) + text_of(rest) == ANSWER
        assert elsewhere.get(f"/stream/{conversation}").status_code == 404


def test_two_subscribers_see_the_same_events(client):
    conversation = chat(client)
    seen: list[list[Event]] = [[], []]

    def subscribe(index: int) -> None:
        with httpx.Client(base_url=str(client.base_url), timeout=30) as own:
            seen[index] = stream(own, "GET", f"/stream/{conversation}")

    readers = [threading.Thread(target=subscribe, args=(index,)) for index in (0, 1)]
    for reader in readers:
        reader.start()
    for reader in readers:
        reader.join(60)
    assert seen[0] == seen[1]
    assert text_of(seen[0]) == ANSWER


def test_a_reply_whose_model_breaks_ends_with_an_error_event(serve):
    site = serve({CHAT_MODEL: "tests.examples.breaking_model:create"})
    with httpx.Client(base_url=site, timeout=30) as client:
        conversation = chat(client)
        events = stream(client, "GET", f"/stream/{conversation}")
        texts, error = events[:-1], events[-1]
        assert [event.name for event in texts] == ["text"] * TOKENS_BEFORE_BREAKING
        assert text_of(texts) == "".join(re.split(r"(\s)", ANSWER)[:TOKENS_BEFORE_BREAKING])
        assert error.name == "error"
        assert error.data == {
            "type": "error",
            "content": "ConnectionResetError: the model's server closed the connection",
        }
        again = stream(client, "GET", f"/stream/{conversation}?from={error.id}")
        assert again == [error]  # resuming from the error is told the error again


def test_bad_input_is_refused_clearly(client):
    def post(body: str, content_type: str = "application/json") -> httpx.Response:
        return client.post("/chat", content=body, headers={"Content-Type": content_type})

    assert post("{not json").status_code == 400
    assert post('{"message": "hi"}', "text/plain").status_code == 415
    refused = post('{"conversation_id": "a b", "message": ""}')
    assert refused.status_code == 422
    assert [error["field"] for error in refused.json()["errors"]] == [
        "conversation_id",
        "message",
    ]
    assert client.get("/stream/nobody-here").status_code == 404
    conversation = chat(client)
    assert client.get(f"/stream/{conversation}?from=12.3").status_code == 400
    busy = post(f'{{"conversation_id": "{conversation}", "message": "and again?"}}')
    assert busy.status_code == 409
    assert "still being answered" in busy.json()["message"]


@pytest.fixture
def page():
    with chromium_page() as page:
        yield page


def test_the_page_reloaded_mid_reply_goes_on_with_no_gap_and_no_repeat(site, page, tmp_path):
    from playwright.sync_api import expect

    page.goto(site + "/")
    page.locator("#send").click()
    page.wait_for_function(
        "document.getElementById('reply').textContent.trim().split(/\\s+/).length >= 8"
    )
    page.reload()
    shown_after_reload = page.locator("#reply").text_content() or ""
    expect(page.locator("#status")).to_have_text("done")
    page.screenshot(path=str(tmp_path / "reliable-stream-page.png"))
    assert 8 <= len(shown_after_reload.split()) < len(ANSWER.split())  # it was mid-reply
    assert page.locator("#reply").text_content() == ANSWER
    assert page.problems == []
