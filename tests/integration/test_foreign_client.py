"""A client in "another language": it knows only docs/protocol.md, confluent_kafka, json, msgpack.

The worker side is ordinary kafkatask (the fixtures start one with registered tasks). The client
side, `ForeignClient`, uses none of kafkatask's code (only the suite's generic `wait_for`): it
builds task records by hand (headers and value), picks a reply partition, reads it from the end
offset it noted before sending, keeps the first final result per task id, and decodes values by
the rules of the protocol document. It also signs records by hand (section 15), reads a stream
partition of its own with the reading rule (section 12), and routes delayed tasks to the delay
topic the document names (section 13). If these tests pass, the document says enough to write a
client in any language.
"""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import hashlib
import hmac
import json
import math
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import msgpack
import pytest
from confluent_kafka import (
    OFFSET_BEGINNING,
    Consumer,
    KafkaError,
    KafkaException,
    Producer,
    TopicPartition,
)
from langchain_core.messages import AIMessage, HumanMessage

from kafkatask import App
from tests.helpers import wait_for

PROTOCOL_DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
CONTENT_TYPES = {"json": "application/json", "msgpack": "application/x-msgpack"}
FINAL_STATES = {"SUCCESS", "FAILURE", "REVOKED"}
SIGNED_HEADERS = ("kt-protocol", "content-type", "kt-kind", "kt-task", "kt-id")
DELAY_BUCKETS = [("1s", 1), ("5s", 5), ("30s", 30), ("2m", 120), ("10m", 600), ("1h", 3600)]
DELAY_TOLERANCE = 0.05
RESULT_FIELDS = {
    "v",
    "id",
    "task",
    "state",
    "result",
    "error",
    "worker",
    "retries",
    "date_done",
    "runtime",
}


# -- the foreign client: written from docs/protocol.md alone ----------------------------------


def encode(tree: Any, codec: str) -> bytes:
    """Section 5: a tree of plain data as msgpack (str, never bin) or compact UTF-8 JSON."""
    if codec == "json":
        return json.dumps(tree, separators=(",", ":"), ensure_ascii=False).encode()
    return msgpack.packb(tree, use_bin_type=True)


def decode(value: bytes, content_type: str | None) -> Any:
    """Section 5: decode by the record's own content-type; no header means msgpack."""
    if content_type == "application/json":
        return json.loads(value)
    if content_type in (None, "application/x-msgpack"):
        return msgpack.unpackb(value, raw=False)
    raise ValueError(f"unknown content-type {content_type!r}")


def header(headers: list[tuple[str, bytes]] | None, name: str) -> str | None:
    """Section 4: the first header called `name`, as UTF-8 text."""
    for key, value in headers or []:
        if key == name:
            return None if value is None else value.decode()
    return None


def signature(headers: list[tuple[str, bytes]], value: bytes, secret: str) -> str:
    """Section 15.1: HMAC-SHA256 over the five headers (in order, empty when absent) and the raw
    value, each preceded by its 4-byte big-endian length; keyed with the secret's UTF-8 bytes;
    lowercase hex."""
    parts = [(header(headers, name) or "").encode() for name in SIGNED_HEADERS] + [value]
    signed = b"".join(len(part).to_bytes(4, "big") + part for part in parts)
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def delay_topic(namespace: str, queue: str, eta: float, now: float) -> str:
    """Section 13.2: the largest bucket not longer than what remains, else the queue itself."""
    remaining = eta - now
    if remaining > DELAY_TOLERANCE:
        fitting = [
            label for label, seconds in DELAY_BUCKETS if seconds <= remaining + DELAY_TOLERANCE
        ]
        if fitting:
            return f"{namespace}.retry.{fitting[-1]}"
    return f"{namespace}.tasks.{queue}"


def follow_stream(records: list[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    """Section 12.3, the reading rule: ("chunk", data), then ("end", None) or ("error", error)."""
    attempts: list[str] = []
    last_seq = -1
    for chunk in records:
        if chunk["attempt"] not in attempts:
            attempts.append(chunk["attempt"])  # a new attempt: follow it from now on
        elif chunk["attempt"] != attempts[-1]:
            continue  # an older attempt, still talking: never go back to it
        if chunk["kind"] == "chunk" and chunk["seq"] > last_seq:
            last_seq = chunk["seq"]
            yield "chunk", chunk["data"]
        elif chunk["kind"] == "end":
            yield "end", None
            return
        elif chunk["kind"] == "error":
            yield "error", chunk["error"]
            return


_SCALAR_TAGS: dict[str, Callable[[Any], Any]] = {
    "int": int,
    "float": lambda v: {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}[v],
    "bytes": lambda v: base64.b64decode(v, validate=True),
    "datetime": dt.datetime.fromisoformat,
    "date": dt.date.fromisoformat,
    "time": dt.time.fromisoformat,
    "timedelta": lambda v: dt.timedelta(seconds=v),
    "uuid": uuid.UUID,
    "decimal": lambda v: decimal.Decimal(str(v)),
}


def from_wire(tree: Any) -> Any:
    """Section 8: the value of a wire tree (LangChain objects stay in their serialized form)."""
    if isinstance(tree, list):
        return [from_wire(item) for item in tree]
    if not isinstance(tree, dict):
        return tree
    if "__kt__" not in tree:
        return {key: from_wire(item) for key, item in tree.items()}
    return _from_tagged(tree["__kt__"], tree.get("v"))


def _from_tagged(tag: str, payload: Any) -> Any:
    if tag == "tuple":
        return tuple(from_wire(item) for item in payload)
    if tag == "set":
        return {from_wire(item) for item in payload}
    if tag == "dict":
        return {from_wire(key): from_wire(item) for key, item in payload}
    if tag == "addable":
        return dict(from_wire(payload))
    if tag in _SCALAR_TAGS:
        return _SCALAR_TAGS[tag](payload)
    raise ValueError(f"unknown value tag {tag!r}")


class ForeignClient:
    """Section 13, step by step."""

    def __init__(
        self, bootstrap: str, namespace: str, queue: str = "default", secret: str | None = None
    ) -> None:
        self.bootstrap = bootstrap
        self.namespace = namespace
        self.queue = queue
        self.secret = secret
        self.task_topic = f"{namespace}.tasks.{queue}"
        self.results_topic = f"{namespace}.results"
        self.producer = Producer({"bootstrap.servers": bootstrap})
        self.consumer = _assigning_consumer(bootstrap, namespace)
        # Step 2: the partition count from metadata, then a random reply partition.
        self.partition = _random_partition(self.consumer, self.results_topic)
        # Step 3: note the end offset before sending anything, and read from there.
        self.start_offset = _end_offset(self.consumer, self.results_topic, self.partition)
        self.consumer.assign(
            [TopicPartition(self.results_topic, self.partition, self.start_offset)]
        )
        self.mine: set[str] = set()
        self.records: dict[str, list[dict[str, Any]]] = {}
        """Every result record read for each of our ids, final or not, duplicates included."""
        self.final: dict[str, dict[str, Any]] = {}
        """The first final result of each id: the one that counts."""

    @property
    def reply_to(self) -> dict[str, Any]:
        return {"topic": self.results_topic, "partition": self.partition}

    def task(self, name: str, args: list[Any] | None = None, **fields: Any) -> dict[str, Any]:
        """Step 4: a task envelope with a fresh id, replying to our partition."""
        return {
            "v": 1,
            "id": str(uuid.uuid4()),
            "task": name,
            "args": args or [],
            "kwargs": {},
            "reply_to": self.reply_to,
            "queue": self.queue,
            "sent_at": time.time(),
            "origin": "foreign-client",
            **fields,
        }

    def send(
        self,
        message: dict[str, Any],
        codec: str = "json",
        key: bytes | None = None,
        topic: str | None = None,
    ) -> str:
        """Step 5: encode, add the five headers (and the signature when we have a secret), key
        by the task id unless told otherwise, produce, wait for the acknowledgement."""
        value = encode(message, codec)
        headers = [
            ("kt-protocol", b"1"),
            ("content-type", CONTENT_TYPES[codec].encode()),
            ("kt-kind", b"task"),
            ("kt-task", message["task"].encode()),
            ("kt-id", message["id"].encode()),
        ]
        if self.secret is not None:
            headers.append(("kt-signature", signature(headers, value, self.secret).encode()))
        key = message["id"].encode() if key is None else key
        return self.send_raw(message["id"], value, headers, key, topic)

    def send_raw(
        self,
        task_id: str,
        value: bytes,
        headers: list[tuple[str, bytes]],
        key: bytes | None,
        topic: str | None = None,
    ) -> str:
        errors: list[KafkaError] = []
        self.mine.add(task_id)
        self.producer.produce(
            topic or self.task_topic,
            value,
            key=key,
            headers=headers,
            on_delivery=lambda error, _: errors.append(error) if error else None,
        )
        assert self.producer.flush(30) == 0, "the task record was not delivered in time"
        assert not errors, f"the broker refused the task record: {errors}"
        return task_id

    def result(self, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
        """Steps 6 and 7: read until the first final state of `task_id`, then return it."""
        deadline = time.monotonic() + timeout
        while task_id not in self.final:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                states = [r["value"]["state"] for r in self.records.get(task_id, [])]
                raise AssertionError(f"no final result for {task_id} in {timeout}s: {states}")
            self._read(min(remaining, 0.5))
        return self.final[task_id]

    def _read(self, timeout: float) -> None:
        record = self.consumer.poll(timeout)
        if record is None:
            return
        assert record.error() is None, record.error()
        headers = record.headers()
        task_id = header(headers, "kt-id")
        if task_id not in self.mine:
            return  # another caller's or another task's record on a shared partition
        if self.secret is not None:
            given = header(headers, "kt-signature")
            if given != signature(headers, record.value(), self.secret):
                return  # section 15.2: a result that does not verify is dropped
        value = decode(record.value(), header(headers, "content-type"))
        self.records.setdefault(task_id, []).append(
            {
                "headers": headers,
                "key": record.key(),
                "offset": record.offset(),
                "raw": record.value(),
                "value": value,
            }
        )
        if value["state"] in FINAL_STATES and task_id not in self.final:
            self.final[task_id] = value  # the first final state wins; later ones are ignored

    def close(self) -> None:
        self.producer.flush(10)
        self.consumer.close()


class StreamReader:
    """Section 12.1: a stream partition of our own, read from the end offset noted in advance."""

    def __init__(self, bootstrap: str, namespace: str) -> None:
        self.topic = f"{namespace}.streams"
        self.consumer = _assigning_consumer(bootstrap, namespace)
        self.partition = _random_partition(self.consumer, self.topic)
        self.start_offset = _end_offset(self.consumer, self.topic, self.partition)
        self.consumer.assign([TopicPartition(self.topic, self.partition, self.start_offset)])

    @property
    def stream_to(self) -> dict[str, Any]:
        return {"topic": self.topic, "partition": self.partition}

    def records(self, task_id: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Every stream record of `task_id` until the followed attempt's end or error marker."""
        found: list[dict[str, Any]] = []

        def finished() -> bool:
            record = self.consumer.poll(0.2)
            if record is not None and record.error() is None:
                headers = record.headers()
                if header(headers, "kt-id") == task_id:
                    assert header(headers, "kt-kind") == "chunk"
                    assert record.key() == task_id.encode()
                    assert record.partition() == self.partition
                    found.append(decode(record.value(), header(headers, "content-type")))
            outcome = list(follow_stream(found))
            return bool(outcome) and outcome[-1][0] in ("end", "error")

        wait_for(finished, timeout, f"the end of the stream of {task_id}")
        return found

    def close(self) -> None:
        self.consumer.close()


def _assigning_consumer(bootstrap: str, namespace: str) -> Consumer:
    # Assignment, not subscription; a librdkafka consumer still wants some group id.
    return Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{namespace}.foreign.{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )


def _random_partition(consumer: Consumer, topic: str) -> int:
    """A random partition of `topic`, from the partition count the broker reports."""
    metadata = consumer.list_topics(topic, timeout=10)
    return random.randrange(len(metadata.topics[topic].partitions))


def _end_offset(consumer: Consumer, topic: str, partition: int) -> int:
    # A topic the worker just created may answer NOT_LEADER_FOR_PARTITION for a moment.
    tp = TopicPartition(topic, partition)
    found: list[int] = []

    def answered() -> bool:
        try:
            found.append(consumer.get_watermark_offsets(tp, timeout=5)[1])
        except KafkaException:
            return False
        return True

    wait_for(answered, 30, f"the end offset of {topic}[{partition}]")
    return found[0]


def read_dead_letters(
    bootstrap: str, namespace: str, until: Callable[[list[dict[str, Any]]], bool]
) -> list[dict[str, Any]]:
    """Sections 7.7 and 16: the DeadLetter envelopes on `<ns>.dlq` (one partition), from the
    start, skipping dlq-action records."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"{namespace}.foreign-dlq.{uuid.uuid4().hex}",
            "enable.auto.commit": False,
        }
    )
    consumer.assign([TopicPartition(f"{namespace}.dlq", 0, OFFSET_BEGINNING)])
    letters: list[dict[str, Any]] = []

    def found() -> bool:
        record = consumer.poll(0.2)
        if (
            record is not None
            and record.error() is None
            and header(record.headers(), "kt-kind") == "dead-letter"
        ):
            letters.append(decode(record.value(), header(record.headers(), "content-type")))
        return until(letters)

    try:
        wait_for(found, 30, "dead letters")
    finally:
        consumer.close()
    return letters


def documented_example(marker: str) -> Any:
    """A JSON block of docs/protocol.md, found by its `<!-- wire-example: ... -->` marker."""
    text = PROTOCOL_DOC.read_text()
    match = re.search(rf"<!-- wire-example: {marker} -->\s*```json\n(.*?)```", text, re.DOTALL)
    assert match, f"docs/protocol.md has no example {marker!r}"
    return json.loads(match.group(1))


# -- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def foreign(kafka_bootstrap_servers, kafkatask_namespace) -> Iterator[Callable[..., Any]]:
    """Connect foreign clients (after a worker created the topics); closed after the test."""
    clients: list[ForeignClient] = []

    def connect(queue: str = "default", secret: str | None = None) -> ForeignClient:
        client = ForeignClient(kafka_bootstrap_servers, kafkatask_namespace, queue, secret)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def stream_reader(kafka_bootstrap_servers, kafkatask_namespace) -> Iterator[Callable[[], Any]]:
    """Open stream partitions of our own (after a worker created the topics)."""
    readers: list[StreamReader] = []

    def open_reader() -> StreamReader:
        reader = StreamReader(kafka_bootstrap_servers, kafkatask_namespace)
        readers.append(reader)
        return reader

    yield open_reader
    for reader in readers:
        reader.close()


@pytest.fixture
def json_app(settings) -> Iterator[App]:
    """The worker side with the JSON codec: its replies are JSON whatever the request used."""
    app = App("json-worker", settings=settings, codec="json")
    yield app
    app.close()


# -- tests ------------------------------------------------------------------------------------


def test_json_task_gets_its_result_in_the_workers_codec(app, start_worker, foreign):
    @app.task(name="foreign.add")
    def add(x: int, y: int) -> int:
        return x + y

    worker = start_worker(app)  # msgpack, the default codec
    client = foreign()

    task_id = client.send(client.task("foreign.add", [2, 3]), codec="json")
    result = client.result(task_id)

    assert result["state"] == "SUCCESS"
    assert from_wire(result["result"]) == 5
    assert set(result) == RESULT_FIELDS
    assert result["v"] == 1
    assert result["id"] == task_id
    assert result["task"] == "foreign.add"
    assert result["error"] is None
    assert result["worker"] == worker.id
    assert result["retries"] == 0
    assert result["date_done"] >= result["runtime"] >= 0
    [record] = client.records[task_id]
    assert record["key"] == task_id.encode()
    assert record["offset"] >= client.start_offset
    assert [(name, value.decode()) for name, value in record["headers"]] == [
        ("kt-protocol", "1"),
        ("content-type", "application/x-msgpack"),  # the worker's codec, not the request's
        ("kt-kind", "result"),
        ("kt-task", "foreign.add"),
        ("kt-id", task_id),
    ]


def test_the_documented_example_record_runs_as_documented(json_app, start_worker, foreign):
    # given: the task of section 13 and a worker that answers in JSON, like the example
    @json_app.task(name="example.add")
    def add(x: int, y: int) -> int:
        return x + y

    start_worker(json_app)
    client = foreign()

    # when: the documented record is sent as written, with our id and reply partition
    message = documented_example("task-value")
    message.update(id=str(uuid.uuid4()), reply_to=client.reply_to, sent_at=time.time())
    headers = [(name, value.encode()) for name, value in documented_example("task-headers")]
    headers = [(n, message["id"].encode() if n == "kt-id" else v) for n, v in headers]
    key = message["id"].encode()  # section 18.1: keyed by the task id
    task_id = client.send_raw(message["id"], json.dumps(message).encode(), headers, key)
    result = client.result(task_id)

    # then: the result record looks like the documented one
    expected = documented_example("result-value")
    assert set(result) == set(expected) == RESULT_FIELDS
    assert (result["state"], result["result"]) == (expected["state"], expected["result"])
    [record] = client.records[task_id]
    expected_headers = [
        (name, task_id if name == "kt-id" else value)
        for name, value in documented_example("result-headers")
    ]
    assert [(n, v.decode()) for n, v in record["headers"]] == expected_headers


def test_msgpack_task_with_kwargs(json_app, start_worker, foreign):
    @json_app.task(name="foreign.greet")
    def greet(name: str, punctuation: str = ".") -> dict:
        return {"greeting": f"hello {name}{punctuation}", "length": len(name)}

    start_worker(json_app)
    client = foreign()

    message = client.task("foreign.greet", kwargs={"name": "kafka", "punctuation": "!"})
    task_id = client.send(message, codec="msgpack")
    result = client.result(task_id)

    assert result["state"] == "SUCCESS"
    assert from_wire(result["result"]) == {"greeting": "hello kafka!", "length": 5}
    [record] = client.records[task_id]
    assert header(record["headers"], "content-type") == "application/json"


def test_a_task_that_raises_fails_with_the_error_type_and_message(app, start_worker, foreign):
    @app.task(name="foreign.explode")
    def explode(amount: int) -> None:
        raise ValueError(f"cannot explode {amount}")

    start_worker(app)
    client = foreign()

    result = client.result(client.send(client.task("foreign.explode", [7])))

    assert result["state"] == "FAILURE"
    assert result["result"] is None
    error = result["error"]
    assert (error["type"], error["module"]) == ("ValueError", "builtins")
    assert error["message"] == "cannot explode 7"
    assert "in explode" in error["traceback"]
    assert result["runtime"] is not None


def test_unknown_task_fails_naming_the_registered_tasks(app, settings, start_worker, foreign):
    @app.task(name="foreign.add")
    def add(x: int, y: int) -> int:
        return x + y

    @app.task(name="foreign.other")
    def other() -> None:
        return None

    worker = start_worker(app)
    client = foreign()

    message = client.task("no.such.task", [1])
    task_id = client.send(message)
    result = client.result(task_id)

    assert result["state"] == "FAILURE"
    error = result["error"]
    assert (error["type"], error["module"]) == ("UnknownTaskError", "kafkatask.exceptions")
    assert error["message"].startswith(
        f"no task named 'no.such.task' is registered on worker {worker.id} "
        "(registered: foreign.add, foreign.other)"
    )
    assert result["runtime"] is None
    # and the record is kept on the dead-letter topic, replayable byte for byte
    letters = read_dead_letters(
        settings.bootstrap_servers, settings.namespace, lambda found: len(found) >= 1
    )
    [letter] = letters
    assert (letter["reason"], letter["task_id"], letter["task"]) == (
        "unknown-task",
        task_id,
        "no.such.task",
    )
    assert json.loads(base64.b64decode(letter["original_value"])) == message
    assert base64.b64decode(letter["original_key"]) == task_id.encode()  # the default key
    assert [name for name, _ in letter["original_headers"]][:3] == [
        "kt-protocol",
        "content-type",
        "kt-kind",
    ]
    assert letter["source"]["topic"] == client.task_topic
    assert letter["error"]["type"] == "UnknownTaskError"


def test_tagged_values_encoded_by_hand(app, start_worker, foreign):
    @app.task(name="foreign.shift")
    def shift(when: dt.datetime, pair: tuple) -> tuple:
        assert isinstance(when, dt.datetime), type(when)
        assert isinstance(pair, tuple), type(pair)
        return when + dt.timedelta(days=sum(pair)), {sum(pair): type(pair).__name__}

    @app.task(name="foreign.types")
    def types(**values: object) -> dict:
        return {name: [type(value).__name__, str(value)] for name, value in values.items()}

    start_worker(app)
    client = foreign()

    # when: a datetime and a tuple, tagged by hand
    when = {"__kt__": "datetime", "v": "2026-01-02T03:04:05+00:00"}
    pair = {"__kt__": "tuple", "v": [1, 2]}
    shifted = client.result(client.send(client.task("foreign.shift", [when, pair])))
    # and the other tags, as keyword arguments over msgpack
    tagged = {
        "blob": {"__kt__": "bytes", "v": "AP8="},
        "day": {"__kt__": "date", "v": "2026-01-02"},
        "at": {"__kt__": "time", "v": "01:02:03"},
        "wait": {"__kt__": "timedelta", "v": 90.0},
        "ident": {"__kt__": "uuid", "v": "00000000-0000-0000-0000-000000000007"},
        "price": {"__kt__": "decimal", "v": "9.99"},
        "tags": {"__kt__": "set", "v": ["x"]},
        "odd_keys": {"__kt__": "dict", "v": [[7, "int key"]]},
    }
    typed = client.result(client.send(client.task("foreign.types", kwargs=tagged), "msgpack"))

    # then: the worker got Python values of the right types, and the result is tagged too
    assert shifted["state"] == "SUCCESS", shifted["error"]
    assert shifted["result"] == {
        "__kt__": "tuple",
        "v": [
            {"__kt__": "datetime", "v": "2026-01-05T03:04:05+00:00"},
            {"__kt__": "dict", "v": [[3, "tuple"]]},
        ],
    }
    assert from_wire(shifted["result"]) == (
        dt.datetime(2026, 1, 5, 3, 4, 5, tzinfo=dt.UTC),
        {3: "tuple"},
    )
    assert typed["state"] == "SUCCESS", typed["error"]
    assert from_wire(typed["result"]) == {
        "blob": ["bytes", str(b"\x00\xff")],
        "day": ["date", "2026-01-02"],
        "at": ["time", "01:02:03"],
        "wait": ["timedelta", "0:01:30"],
        "ident": ["UUID", "00000000-0000-0000-0000-000000000007"],
        "price": ["Decimal", "9.99"],
        "tags": ["set", "{'x'}"],
        "odd_keys": ["dict", "{7: 'int key'}"],
    }


def test_langchain_messages_travel_in_langchain_form(app, start_worker, foreign):
    @app.task(name="foreign.chat")
    def chat(message: HumanMessage) -> AIMessage:
        assert isinstance(message, HumanMessage), type(message)
        return AIMessage(content=f"you said: {message.content}")

    start_worker(app)
    client = foreign()

    human = {
        "lc": 1,
        "type": "constructor",
        "id": ["langchain", "schema", "messages", "HumanMessage"],
        "kwargs": {"content": "hi", "type": "human"},
    }
    result = client.result(client.send(client.task("foreign.chat", [human])))

    assert result["state"] == "SUCCESS", result["error"]
    answer = result["result"]
    assert (answer["lc"], answer["type"]) == (1, "constructor")
    assert answer["id"] == ["langchain", "schema", "messages", "AIMessage"]
    assert answer["kwargs"]["content"] == "you said: hi"
    assert answer["kwargs"]["type"] == "ai"


def test_track_started_reports_received_started_then_the_result(app, start_worker, foreign):
    @app.task(name="foreign.add")
    def add(x: int, y: int) -> int:
        return x + y

    start_worker(app)
    client = foreign()

    task_id = client.send(client.task("foreign.add", [20, 22], track_started=True))
    result = client.result(task_id)

    assert from_wire(result["result"]) == 42
    states = [record["value"]["state"] for record in client.records[task_id]]
    assert states == ["RECEIVED", "STARTED", "SUCCESS"]
    received = client.records[task_id][0]["value"]
    assert (received["result"], received["error"], received["date_done"]) == (None, None, None)


def test_an_expired_task_is_revoked_without_running(app, start_worker, foreign):
    ran = []

    @app.task(name="foreign.add")
    def add(x: int, y: int) -> int:
        ran.append((x, y))
        return x + y

    start_worker(app)
    client = foreign()

    message = client.task("foreign.add", [1, 2], expires_at=time.time() - 60)
    result = client.result(client.send(message))

    assert result["state"] == "REVOKED"
    error = result["error"]
    assert (error["type"], error["module"]) == ("TaskRevokedError", "kafkatask.exceptions")
    assert "expired at" in error["message"]
    assert result["runtime"] is None
    assert not ran


def test_an_invalid_task_is_dead_lettered_and_its_caller_told_why(
    app, settings, start_worker, foreign
):
    @app.task(name="foreign.add")
    def add(x: int, y: int) -> int:
        return x + y

    start_worker(app)
    client = foreign()

    # given: a task with a field the protocol does not have, then a good one behind it
    # (same key, so same partition: the worker handles the bad one first)
    bad = client.task("foreign.add", [1, 2], surprise=True)
    bad_id = client.send(bad, key=b"same-partition")
    good_id = client.send(client.task("foreign.add", [3, 4]), key=b"same-partition")

    # when: the good one is answered
    assert from_wire(client.result(good_id)["result"]) == 7

    # then: the bad one's caller (its reply_to is readable) gets a FAILURE saying why, and
    # the record waits on the dead-letter topic
    failure = client.result(bad_id)
    assert failure["state"] == "FAILURE"
    assert failure["error"]["type"] == "DecodeError"
    assert "surprise: Extra inputs are not permitted" in failure["error"]["message"]
    letters = read_dead_letters(
        settings.bootstrap_servers, settings.namespace, lambda found: len(found) >= 1
    )
    [letter] = letters
    assert letter["reason"] == "undecodable"
    # the id and task name salvaged from the record (its reply_to was readable too)
    assert (letter["task_id"], letter["task"]) == (bad_id, "foreign.add")
    assert letter["error"]["type"] == "DecodeError"
    assert "surprise: Extra inputs are not permitted" in letter["error"]["message"]
    assert json.loads(base64.b64decode(letter["original_value"])) == bad
    assert base64.b64decode(letter["original_key"]) == b"same-partition"


def test_new_value_tags_by_hand(app, start_worker, foreign):
    @app.task(name="foreign.extremes")
    def extremes(big: int, missing: float) -> dict:
        assert isinstance(big, int), type(big)
        assert math.isnan(missing), missing
        return {"doubled": big * 2, "small": 7, "worst": -math.inf, "lc": "a plain key"}

    start_worker(app)
    client = foreign()

    # when: an integer beyond uint64 and a NaN, tagged by hand (section 8.2)
    big = {"__kt__": "int", "v": "18446744073709551616"}
    missing = {"__kt__": "float", "v": "nan"}
    result = client.result(client.send(client.task("foreign.extremes", [big, missing]), "msgpack"))

    # then: the result uses the same tags, and a dict with an "lc" key travels as pairs
    assert result["state"] == "SUCCESS", result["error"]
    assert result["result"] == {
        "__kt__": "dict",
        "v": [
            ["doubled", {"__kt__": "int", "v": "36893488147419103232"}],
            ["small", 7],
            ["worst", {"__kt__": "float", "v": "-inf"}],
            ["lc", "a plain key"],
        ],
    }
    assert from_wire(result["result"]) == {
        "doubled": 2**65,
        "small": 7,
        "worst": -math.inf,
        "lc": "a plain key",
    }


def test_a_streamed_task_read_from_a_stream_partition_of_our_own(
    app, start_worker, foreign, stream_reader
):
    @app.task(name="foreign.count")
    def count(n: int):
        for i in range(n):
            yield f"{i};"

    start_worker(app)
    client = foreign()
    stream = stream_reader()  # section 12.1: chosen, and its end offset noted, before sending

    message = client.task("foreign.count", [3], mode="stream", stream_to=stream.stream_to)
    task_id = client.send(message)
    records = stream.records(task_id)
    result = client.result(task_id)

    # then: one attempt, a start marker, the chunks numbered from 0, an end marker (section 12.2)
    assert [(r["kind"], r["seq"], r["data"]) for r in records] == [
        ("start", 0, None),
        ("chunk", 0, "0;"),
        ("chunk", 1, "1;"),
        ("chunk", 2, "2;"),
        ("end", 3, None),
    ]
    assert {r["attempt"] for r in records} == {records[0]["attempt"]}
    assert all((r["v"], r["id"], r["task"], r["error"]) == (1, task_id, "foreign.count", None)
               for r in records)  # fmt: skip
    assert list(follow_stream(records)) == [
        ("chunk", "0;"),
        ("chunk", "1;"),
        ("chunk", "2;"),
        ("end", None),
    ]
    # and the final result is the chunks added together
    assert result["state"] == "SUCCESS", result["error"]
    assert from_wire(result["result"]) == "0;1;2;"


def test_signed_tasks_run_and_unsigned_ones_are_refused(settings, start_worker, foreign):
    secret = "s3cret"
    signed = App("signed-worker", settings=settings, signing_secret=secret)
    ran = []

    @signed.task(name="foreign.add")
    def add(x: int, y: int) -> int:
        ran.append((x, y))
        return x + y

    try:
        start_worker(signed)
        client = foreign(secret=secret)  # signs its task records and verifies results by hand
        anonymous = foreign()  # the same, without the secret

        # when: a task signed by hand per section 15.1, then an unsigned and a mis-signed one
        good_id = client.send(client.task("foreign.add", [2, 3]))
        unsigned_id = anonymous.send(anonymous.task("foreign.add", [40, 2]))
        forged = anonymous.task("foreign.add", [1, 1])
        value = encode(forged, "json")
        headers = [
            ("kt-protocol", b"1"),
            ("content-type", b"application/json"),
            ("kt-kind", b"task"),
            ("kt-task", b"foreign.add"),
            ("kt-id", forged["id"].encode()),
        ]
        headers.append(("kt-signature", signature(headers, value, "not-the-secret").encode()))
        wrong_id = anonymous.send_raw(forged["id"], value, headers, forged["id"].encode())

        # then: the signed one runs, and its result carries a signature we can check
        good = client.result(good_id)
        assert (good["state"], from_wire(good["result"])) == ("SUCCESS", 5)
        [record] = client.records[good_id]
        names = [name for name, _ in record["headers"]]
        assert names == [*SIGNED_HEADERS, "kt-signature"]
        assert header(record["headers"], "kt-signature") == signature(
            record["headers"], record["raw"], secret
        )
        # and the other two are refused without an answer (a forger chose their reply_to),
        # and kept as dead letters `unverified`
        letters = read_dead_letters(
            settings.bootstrap_servers, settings.namespace, lambda found: len(found) >= 2
        )
        assert [letter["reason"] for letter in letters] == ["unverified", "unverified"]
        assert sorted(letter["error"]["message"] for letter in letters) == [
            "the record is not signed (no kt-signature header)",
            "the record's signature does not match (tampered, or another secret)",
        ]

        assert all(letter["task_id"] is None for letter in letters)
        assert {
            json.loads(base64.b64decode(letter["original_value"]))["id"] for letter in letters
        } == {
            unsigned_id,
            wrong_id,
        }
        assert ran == [(2, 3)]
    finally:
        signed.close()


def test_a_task_with_an_eta_waits_in_the_delay_topic_the_document_names(
    app, settings, start_worker, foreign
):
    started: list[float] = []

    @app.task(name="foreign.stamp")
    def stamp() -> str:
        started.append(time.time())
        return "on time"

    start_worker(app)  # it creates the delay topics and runs the scheduler
    client = foreign()

    # when: a task due in two seconds, sent to the bucket section 13.2 names
    now = time.time()
    eta = now + 2.0
    topic = delay_topic(settings.namespace, client.queue, eta, now)
    assert topic == f"{settings.namespace}.retry.1s"
    task_id = client.send(client.task("foreign.stamp", eta=eta), topic=topic)
    result = client.result(task_id, timeout=30)

    # then: it ran once, no earlier than its eta, as an ordinary first run
    assert (result["state"], from_wire(result["result"])) == ("SUCCESS", "on time")
    assert len(started) == 1
    assert started[0] >= eta
    assert result["retries"] == 0
