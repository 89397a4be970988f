"""The gateway's OpenAPI 3.1 document: the endpoints of every task a caller may call.

Each task's own schemas (its input, output and config, as `/NAME/input_schema` gives them) are
components named after the task's path, so the document types each endpoint exactly. Only the
endpoints of the rights the caller's key has are listed; an unauthenticated caller gets no
document at all (GatewayAuth answers first). WebSockets have no place in OpenAPI: the
`/NAME/ws` endpoint is described in each task's description and in docs/gateway.md.
"""

from __future__ import annotations

import re
from typing import Any

from kafkatask._version import __version__
from kafkatask.gateway.auth import Caller
from kafkatask.gateway.schemas import WHICH
from kafkatask.gateway.served import ServedTask
from kafkatask.gateway.services import Gateway

Schema = dict[str, Any]

ERROR: Schema = {
    "type": "object",
    "description": "Every answer but success (LangServe's error shape, and more).",
    "properties": {
        "status_code": {"type": "integer"},
        "message": {"type": "string"},
        "type": {"type": "string", "description": "the task's error type, when it failed"},
        "task_id": {"type": "string", "description": "the task that did not answer in time"},
        "errors": {
            "type": "array",
            "description": "the fields that failed validation (422)",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
        "tasks": {
            "type": "array",
            "items": {"type": "string"},
            "description": "the tasks the caller may call (404)",
        },
    },
    "required": ["status_code", "message"],
}
ERRORS = {
    "400": "malformed JSON, or an event id that is not one",
    "401": "no API key, or an unknown one",
    "403": "the key may not call this task, or not this way",
    "404": "no task is served at this path",
    "413": "the body is over the gateway's limit, or the input over Kafka's",
    "415": "the body is not sent as application/json",
    "422": "the body, the input or the config does not fit; or a batch over the limit",
    "429": "the key is over its request rate (see Retry-After)",
    "500": "the task failed on the worker",
    "503": "Kafka is not answering",
    "504": "no answer within the timeout; the answer names the task id",
}
SSE = {
    "text/event-stream": {
        "schema": {
            "type": "string",
            "description": "Server-Sent Events: metadata, data, restart, end, error; each with "
            "an id to resume from (Last-Event-ID)",
        }
    }
}


def openapi(gateway: Gateway, caller: Caller) -> Schema:
    """The document as `caller` sees it."""
    components: dict[str, Schema] = {"Error": ERROR}
    paths: dict[str, Schema] = {}
    for served in gateway.tasks:
        if caller.may_call(served.name):
            paths.update(_task_paths(served, caller, _task_schemas(served, components)))
    document: Schema = {
        "openapi": "3.1.0",
        "info": {
            "title": "kafkatask gateway",
            "version": __version__,
            "description": f"Tasks of the namespace {gateway.app.settings.namespace}, served "
            "in LangServe's wire format; see docs/gateway.md.",
        },
        "paths": paths,
        "components": {"schemas": components},
    }
    if gateway.keys.configured:
        document["components"]["securitySchemes"] = {
            "key": {"type": "http", "scheme": "bearer", "description": "an API key"}
        }
        document["security"] = [{"key": []}]
    return document


def _task_schemas(served: ServedTask, components: dict[str, Schema]) -> dict[str, Schema]:
    """References to the task's input, output and config, added to `components`.

    Their definitions are components too, prefixed with the task's path: two tasks may each
    have a `PromptInput` of their own.
    """
    prefix = re.sub(r"[^A-Za-z0-9_]", "_", served.path) + "__"
    references: dict[str, Schema] = {}
    for which in WHICH:
        template = f"#/components/schemas/{prefix}{{model}}"
        schema = served.schemas.json_schema_with_refs(which, template)
        for definition, body in schema.pop("$defs", {}).items():
            components[f"{prefix}{definition}"] = body
        components[f"{prefix}{which}"] = schema
        references[which] = {"$ref": f"#/components/schemas/{prefix}{which}"}
    return references


def _task_paths(served: ServedTask, caller: Caller, refs: dict[str, Schema]) -> dict[str, Schema]:
    base = f"/{served.path}"
    paths: dict[str, Schema] = {}
    if caller.may("invoke"):
        paths[f"{base}/invoke"] = {"post": _invoke(served, refs)}
        paths[f"{base}/invoke/{{task_id}}"] = {"get": _result(served, refs)}
    if caller.may("batch"):
        paths[f"{base}/batch"] = {"post": _batch(served, refs)}
    if caller.may("stream"):
        paths[f"{base}/stream"] = {"post": _stream(served, refs)}
        paths[f"{base}/stream/{{task_id}}"] = {"get": _reattach(served)}
        paths[f"{base}/stream_events"] = {"post": _stream_events(served, refs)}
    for which in ("input", "output", "config"):
        paths[f"{base}/{which}_schema"] = {"get": _schema(served, which)}
    return paths


READ_ERRORS = ("401", "403", "404", "429")
"""What a GET that sends no task can answer besides success."""


def _operation(
    served: ServedTask,
    action: str,
    summary: str,
    responses: Schema,
    errors: tuple[str, ...] = tuple(ERRORS),
) -> Schema:
    description = served.description
    return {
        "operationId": f"{re.sub(r'[^A-Za-z0-9_]', '_', served.path)}__{action}",
        "tags": [served.name],
        "summary": summary,
        "description": description + f"\n\nWebSocket: `/{served.path}/ws` (docs/gateway.md).",
        "responses": {**responses, **_errors(errors)},
    }


def _errors(codes: tuple[str, ...]) -> Schema:
    ref = {"$ref": "#/components/schemas/Error"}
    return {
        code: {"description": ERRORS[code], "content": {"application/json": {"schema": ref}}}
        for code in codes
    }


def _json(schema: Schema, description: str = "OK") -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _call_body(input_schema: Schema, config: Schema, **more: Schema) -> Schema:
    properties = {"input": input_schema, "config": config, "kwargs": {"type": "object"}, **more}
    schema = {"type": "object", "properties": properties, "required": ["input"]}
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def _metadata(many: bool) -> Schema:
    if many:
        names = ("run_ids", "task_ids")
        return {"type": "object", "properties": {n: {"type": "array"} for n in names}}
    return {"type": "object", "properties": {n: {"type": "string"} for n in ("run_id", "task_id")}}


def _invoke(served: ServedTask, refs: dict[str, Schema]) -> Schema:
    answer = {
        "type": "object",
        "properties": {"output": refs["output"], "metadata": _metadata(False)},
    }
    operation = _operation(served, "invoke", f"Run {served.name} once", {"200": _json(answer)})
    operation["requestBody"] = _call_body(refs["input"], refs["config"])
    return operation


def _result(served: ServedTask, refs: dict[str, Schema]) -> Schema:
    answer = {
        "type": "object",
        "properties": {"output": refs["output"], "metadata": _metadata(False)},
    }
    operation = _operation(
        served,
        "result",
        "The result of a task sent earlier (after a 504)",
        {"200": _json(answer)},
        (*READ_ERRORS, "500", "503", "504"),
    )
    operation["parameters"] = [_path_parameter("task_id")]
    return operation


def _batch(served: ServedTask, refs: dict[str, Schema]) -> Schema:
    outputs = {"type": "array", "items": refs["output"]}
    answer = {"type": "object", "properties": {"output": outputs, "metadata": _metadata(True)}}
    operation = _operation(
        served, "batch", f"Run {served.name} on each input", {"200": _json(answer)}
    )
    configs = {"oneOf": [refs["config"], {"type": "array", "items": refs["config"]}]}
    properties = {"inputs": {"type": "array", "items": refs["input"]}, "config": configs}
    body = {"type": "object", "properties": properties, "required": ["inputs"]}
    operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def _stream(served: ServedTask, refs: dict[str, Schema]) -> Schema:
    detached = {
        "type": "object",
        "properties": {"task_id": {"type": "string"}, "stream_url": {"type": "string"}},
    }
    responses = {
        "200": {"description": "the stream", "content": SSE},
        "202": _json(detached, "detached (?detach=true): follow stream_url"),
    }
    operation = _operation(served, "stream", f"Stream {served.name}", responses)
    operation["requestBody"] = _call_body(refs["input"], refs["config"])
    operation["parameters"] = [_flag("detach"), _flag("cancel_on_disconnect"), _restarts()]
    return operation


def _reattach(served: ServedTask) -> Schema:
    responses = {
        "200": {"description": "the stream, from the first chunk or after `after`", "content": SSE}
    }
    operation = _operation(
        served,
        "reattach",
        "Follow a stream again, from any gateway",
        responses,
        ("400", *READ_ERRORS),
    )
    after = {"name": "after", "in": "query", "schema": {"type": "string"}}
    last = {"name": "Last-Event-ID", "in": "header", "schema": {"type": "string"}}
    operation["parameters"] = [
        _path_parameter("task_id"),
        after,
        last,
        _flag("cancel_on_disconnect"),
        _restarts(),
    ]
    return operation


def _stream_events(served: ServedTask, refs: dict[str, Schema]) -> Schema:
    names = {"type": "array", "items": {"type": "string"}}
    filters = {
        f"{way}_{what}": names
        for way in ("include", "exclude")
        for what in ("names", "types", "tags")
    }
    operation = _operation(
        served,
        "stream_events",
        f"Stream the events (v2) of {served.name} as it runs",
        {"200": {"description": "the events", "content": SSE}},
    )
    operation["requestBody"] = _call_body(refs["input"], refs["config"], **filters)
    return operation


def _schema(served: ServedTask, which: str) -> Schema:
    return _operation(
        served,
        f"{which}_schema",
        f"The JSON Schema of the {which}",
        {"200": _json({"type": "object"})},
        READ_ERRORS,
    )


def _path_parameter(name: str) -> Schema:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _flag(name: str) -> Schema:
    return {"name": name, "in": "query", "schema": {"type": "boolean", "default": False}}


def _restarts() -> Schema:
    modes = {"type": "string", "enum": ["report", "splice"], "default": "report"}
    return {"name": "Kafkatask-Restarts", "in": "header", "schema": modes}
