"""`/NAME/invoke` and `/NAME/batch` in LangServe's wire format, and `GET /NAME/invoke/{task_id}`.

Invoke answers `{"output": ..., "metadata": {"run_id", "task_id", "feedback_tokens"}}`; batch
`{"output": [...], "metadata": {"run_ids", "task_ids", "responses"}}`, its items fanned out as
one task each. No answer within the timeout is a 504 that names the task ids; the client gets
the result later, from any gateway process, with `GET /NAME/invoke/{task_id}`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kafkatask.exceptions import TaskTimeoutError
from kafkatask.gateway.bodies import BatchBody, InvokeBody, read_body
from kafkatask.gateway.errors import GatewayError, failure
from kafkatask.gateway.ids import locate, result_cursor
from kafkatask.gateway.served import ServedTask
from kafkatask.gateway.services import Gateway
from kafkatask.gateway.values import to_json
from kafkatask.result import AsyncResult


def routes() -> list[BaseRoute]:
    return [
        Route("/{task}/invoke", invoke, methods=["POST"], name="invoke"),
        Route("/{task}/invoke/{task_id}", result, methods=["GET"], name="task_result"),
        Route("/{task}/batch", batch, methods=["POST"], name="batch"),
    ]


async def invoke(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    caller = gateway.caller(request)
    served = gateway.served(caller, request.path_params["task"], "invoke")
    body = await read_body(request, InvokeBody, gateway.settings.body_limit)
    value, config = served.schemas.check_call(body.input, body.config)
    handle = await gateway.sender.send(served, value, config, caller=caller.name)
    output = await _outcome(gateway, request, served, handle)
    metadata = {"run_id": str(config["run_id"]), "task_id": handle.id, "feedback_tokens": []}
    return JSONResponse({"output": to_json(output), "metadata": metadata})


async def result(request: Request) -> Response:
    """The result of a task a gateway sent, read back from Kafka (after a 504, say)."""
    gateway: Gateway = request.app.state.gateway
    served = gateway.served(gateway.caller(request), request.path_params["task"], "invoke")
    task_id = request.path_params["task_id"]
    location = locate(task_id)
    if location is None:
        raise GatewayError(404, f"{task_id!r} is not the id of a task a gateway sent")
    cursor = result_cursor(task_id, gateway.results_topic, location)
    try:
        handle = await gateway.app.afetch_result(cursor, timeout=gateway.settings.timeout)
    except TaskTimeoutError:
        raise _no_answer(gateway, request, served, [task_id]) from None
    if handle.task_name != served.name:
        raise GatewayError(404, f"task {task_id} is not a task {served.name}")
    output = await _outcome(gateway, request, served, handle)
    metadata = {"run_id": None, "task_id": task_id, "feedback_tokens": []}
    return JSONResponse({"output": to_json(output), "metadata": metadata})


async def batch(request: Request) -> Response:
    gateway: Gateway = request.app.state.gateway
    caller = gateway.caller(request)
    served = gateway.served(caller, request.path_params["task"], "batch")
    body = await read_body(request, BatchBody, gateway.settings.body_limit)
    limit = gateway.settings.batch_limit
    if len(body.inputs) > limit:
        raise GatewayError(
            422,
            f"a batch may hold at most {limit} inputs (batch_limit), this one has "
            f"{len(body.inputs)}; split it",
            errors=[{"field": "inputs", "message": f"at most {limit} inputs"}],
            limit=limit,
        )
    configs = body.configs()
    values = [served.schemas.validate_input(v, f"inputs.{i}") for i, v in enumerate(body.inputs)]
    for index, config in enumerate(configs):
        served.schemas.validate_configurable(config.configurable, f"config.{index}")
    runnable_configs = [config.runnable_config() for config in configs]
    handles = await gateway.sender.send_all(served, values, runnable_configs, caller=caller.name)
    outputs = await _outcomes(gateway, request, served, handles)
    run_ids = [str(config["run_id"]) for config in runnable_configs]
    responses = [
        {"run_id": run_id, "task_id": handle.id, "feedback_tokens": []}
        for run_id, handle in zip(run_ids, handles, strict=True)
    ]
    metadata = {"run_ids": run_ids, "task_ids": [h.id for h in handles], "responses": responses}
    return JSONResponse({"output": [to_json(output) for output in outputs], "metadata": metadata})


async def _outcome(
    gateway: Gateway, request: Request, served: ServedTask, handle: AsyncResult[Any]
) -> Any:
    """The task's output; its error as a GatewayError (500, 503), or 504 after the timeout."""
    try:
        return await handle.aget(timeout=gateway.settings.timeout)
    except TaskTimeoutError:
        raise _no_answer(gateway, request, served, [handle.id]) from None
    except Exception as error:  # the task's own error, rebuilt
        raise failure(error, handle.id, tracebacks=gateway.settings.tracebacks) from None


async def _outcomes(
    gateway: Gateway, request: Request, served: ServedTask, handles: Sequence[AsyncResult[Any]]
) -> list[Any]:
    """Every item's output, in input order; the first failure fails the batch, as in LangServe."""
    waits = [asyncio.ensure_future(handle.aget(propagate=False)) for handle in handles]
    _, late = await asyncio.wait(waits, timeout=gateway.settings.timeout)
    for wait in late:
        wait.cancel()
    if late:
        missing = [handle.id for handle, wait in zip(handles, waits, strict=True) if wait in late]
        raise _no_answer(gateway, request, served, missing, batch=True)
    for index, handle in enumerate(handles):
        if not handle.successful():
            error = failure(
                waits[index].result(), handle.id, tracebacks=gateway.settings.tracebacks
            )
            error.details["index"] = index
            raise error
    return [wait.result() for wait in waits]


def _no_answer(
    gateway: Gateway,
    request: Request,
    served: ServedTask,
    task_ids: list[str],
    *,
    batch: bool = False,
) -> GatewayError:
    """504 naming the tasks without an answer (a batch names them in lists, even one)."""
    urls = [request.url_for("task_result", task=served.path, task_id=i).path for i in task_ids]
    timeout = f"{gateway.settings.timeout:g}s (timeout)"
    if not batch:
        return GatewayError(
            504,
            f"task {served.name} did not answer within {timeout}; it may still finish: GET "
            "result_url for its result",
            task_id=task_ids[0],
            result_url=urls[0],
        )
    return GatewayError(
        504,
        f"{len(task_ids)} of the batch's tasks did not answer within {timeout}; they may "
        "still finish: GET each of result_urls for its result",
        task_ids=task_ids,
        result_urls=urls,
    )
