"""`GET /NAME/input_schema`, `/output_schema` and `/config_schema`: JSON Schemas, as LangServe."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from kafkatask.gateway.schemas import WHICH, Which
from kafkatask.gateway.services import Gateway


def routes() -> list[BaseRoute]:
    return [
        Route(
            f"/{{task}}/{which}_schema", _schema_of(which), methods=["GET"], name=f"{which}_schema"
        )
        for which in WHICH
    ]


def _schema_of(which: Which) -> Callable[[Request], Awaitable[Response]]:
    async def schema(request: Request) -> Response:
        gateway: Gateway = request.app.state.gateway
        served = gateway.served(gateway.caller(request), request.path_params["task"], None)
        return JSONResponse(served.schemas.json_schema(which))

    schema.__doc__ = f"The JSON Schema of the task's {which}."
    return schema
