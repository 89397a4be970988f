"""langserve.RemoteRunnable, unchanged, against the gateway, through Kafka to a real worker."""

from __future__ import annotations

import httpx
import pytest
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.prompt_values import StringPromptValue
from langserve import RemoteRunnable

from tests.gateway.apps import ANSWER, WORDS

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def remote(gateway_url):
    def runnable(task: str) -> RemoteRunnable:
        return RemoteRunnable(f"{gateway_url}/{task}", timeout=30)

    return runnable


def test_invoke_and_batch(remote):
    add = remote("tests.add")
    assert add.invoke({"x": 2, "y": 3}) == 5
    assert add.batch([{"x": i, "y": i} for i in range(5)]) == [0, 2, 4, 6, 8]


async def test_async_twins(remote):
    add, words = remote("tests.add"), remote("tests.words")
    assert await add.ainvoke({"x": 40, "y": 2}) == 42
    assert await add.abatch([{"x": 1, "y": 1}, {"x": 2, "y": 2}]) == [2, 4]
    assert [chunk async for chunk in words.astream({"count": 4})] == [w + " " for w in WORDS[:4]]


def test_stream_yields_the_chunks_in_order(remote):
    assert list(remote("tests.words").stream({"count": 12})) == [w + " " for w in WORDS[:12]]


def test_messages_in_and_message_chunks_out(remote):
    chat = remote("tests.chat")
    question = {"history": [HumanMessage("hi"), AIMessage("hello")], "question": "why Kafka?"}
    answer = chat.invoke(question)
    assert isinstance(answer, AIMessage)
    assert answer.content == ANSWER
    chunks = list(chat.stream(question))
    assert all(isinstance(chunk, AIMessageChunk) for chunk in chunks)
    assert len(chunks) > 1
    whole = chunks[0]
    for chunk in chunks[1:]:
        whole += chunk
    assert whole.content == ANSWER


def test_the_config_travels_tags_metadata_and_configurable(remote):
    config = {"tags": ["gateway"], "metadata": {"team": "search"}, "configurable": {"mood": "calm"}}
    seen = remote("tests.config").invoke("x", config=config)
    assert seen == {
        "input": "x",
        "tags": ["gateway"],
        "metadata": {"team": "search"},
        "configurable": {"mood": "calm"},
    }


def test_configurable_fields_take_effect_on_the_worker(remote):
    greet = remote("tests.greet")
    assert greet.invoke({"name": "Ada"}) == StringPromptValue(text="Hello Ada!")
    chosen = greet.invoke({"name": "Ada"}, config={"configurable": {"template": "Bye {name}."}})
    assert chosen == StringPromptValue(text="Bye Ada.")


def test_an_error_of_the_task_is_raised_with_its_type_and_message(remote):
    with pytest.raises(httpx.HTTPStatusError, match="cannot take 'x'") as raised:
        remote("tests.boom").invoke("x")
    assert raised.value.response.status_code == 500
    assert "ValueError" in str(raised.value)
    assert "Traceback" not in str(raised.value)  # no traceback unless configured


def test_an_error_mid_stream_comes_after_the_chunks_already_made(remote):
    received = []
    with pytest.raises(httpx.HTTPStatusError, match="QuotaExceededError: quota exceeded"):
        received.extend(remote("tests.fail_after").stream(3))
    assert received == ["chunk0 ", "chunk1 ", "chunk2 "]


async def test_an_error_mid_stream_in_async_code(remote):
    received = []
    with pytest.raises(httpx.HTTPStatusError, match="quota exceeded after 2 chunks"):
        await _collect(remote("tests.fail_after").astream(2), received)
    assert received == ["chunk0 ", "chunk1 "]


async def test_stream_events_shows_the_steps_inside_the_worker(remote):
    chat = remote("tests.chat")
    question = {"history": [], "question": "events?"}
    events = [event async for event in chat.astream_events(question, version="v2")]
    kinds = {event["event"] for event in events}
    assert {"on_chain_start", "on_chat_model_stream", "on_chain_end"} <= kinds
    streamed = [e["data"]["chunk"] for e in events if e["event"] == "on_chat_model_stream"]
    assert all(isinstance(chunk, AIMessageChunk) for chunk in streamed)
    only_model = [
        event
        async for event in chat.astream_events(question, version="v2", include_types=["chat_model"])
    ]
    assert only_model
    assert {event["event"] for event in only_model} <= {
        "on_chat_model_start",
        "on_chat_model_stream",
        "on_chat_model_end",
    }


def test_the_schema_endpoints_describe_the_task_itself(gateway_url):
    # (RemoteRunnable does not fetch them: LangServe's clients read them with plain GETs.)
    schema = httpx.get(f"{gateway_url}/tests.add/input_schema").json()
    assert schema["properties"] == {
        "x": {"title": "X", "type": "integer"},
        "y": {"title": "Y", "type": "integer"},
    }
    assert httpx.get(f"{gateway_url}/tests.add/output_schema").json()["type"] == "integer"
    chat = httpx.get(f"{gateway_url}/tests.chat/input_schema").json()
    assert set(chat["required"]) == {"history", "question"}
    config = httpx.get(f"{gateway_url}/tests.greet/config_schema").json()
    assert config["$defs"]["Configurable"]["properties"]["template"]["default"] == "Hello {name}!"


async def _collect(chunks, into: list) -> None:
    async for chunk in chunks:
        into.append(chunk)
