"""TaskSchemas: a served task's input, output and config schemas, made once per task.

The input schema is LangServe's check of what a client sends: a value that does not fit it is
answered 422 with each field that failed. Validating also rebuilds the LangChain objects the
schema names (a prompt's `history` of messages) from the JSON form LangServe's clients send.
"""

from __future__ import annotations

import functools
from typing import Any, Literal

from langchain_core.load.serializable import Serializable
from langchain_core.runnables import RunnableConfig
from langchain_core.utils.pydantic import TypeBaseModel
from pydantic import BaseModel, RootModel, ValidationError
from pydantic.errors import PydanticUserError
from pydantic.json_schema import DEFAULT_REF_TEMPLATE

from kafkatask.gateway.bodies import RunConfig
from kafkatask.gateway.errors import invalid
from kafkatask.task import Task

CONFIG_KEYS = ("tags", "metadata", "configurable", "run_name")
"""The RunnableConfig keys the config schema describes (those a client usually sets)."""
Which = Literal["input", "output", "config"]
WHICH: tuple[Which, ...] = ("input", "output", "config")


class TaskSchemas:
    """Made on first use: a Runnable's schemas can take a while to build."""

    def __init__(self, task: Task[Any, Any]) -> None:
        self._task = task
        self._json: dict[Which, dict[str, Any]] = {}

    @functools.cached_property
    def input(self) -> type[BaseModel]:
        return _current(self._task.get_input_schema())

    @functools.cached_property
    def output(self) -> type[BaseModel]:
        return _current(self._task.get_output_schema())

    @functools.cached_property
    def config(self) -> type[BaseModel]:
        return self._task.config_schema(include=list(CONFIG_KEYS))

    def json_schema(self, which: Which) -> dict[str, Any]:
        """The JSON Schema of the input, the output or the config."""
        if which not in self._json:
            self._json[which] = self.json_schema_with_refs(which, DEFAULT_REF_TEMPLATE)
        return self._json[which]

    def json_schema_with_refs(self, which: Which, ref_template: str) -> dict[str, Any]:
        """The JSON Schema, its references made with `ref_template` (OpenAPI's, say).

        A type JSON Schema cannot describe (a generator's `Iterator[str]`), or a schema that
        cannot be completed (an annotation naming a type only a type checker sees), makes the
        schema say so, and accept anything, rather than fail.
        """
        model = {"input": self.input, "output": self.output, "config": self.config}[which]
        try:
            return model.model_json_schema(ref_template=ref_template)
        except PydanticUserError as error:
            return {"title": model.__name__, "description": f"no JSON Schema: {error.message}"}

    def validate_input(self, value: Any, where: str) -> Any:
        """The input to send for `value`; 422 naming the fields that do not fit the schema."""
        try:
            model = self.input.model_validate(value)
        except ValidationError as error:
            raise invalid("the input does not fit the task's input schema", error, where) from None
        except PydanticUserError:  # the schema itself is broken: the worker will judge
            return value
        return _unpacked(model, value)

    def check_call(
        self, value: Any, config: RunConfig, where: str = "input"
    ) -> tuple[Any, RunnableConfig]:
        """The input and the RunnableConfig to send for one call; 422 when either does not
        fit the task's schemas."""
        checked = self.validate_input(value, where)
        self.validate_configurable(config.configurable, "config")
        return checked, config.runnable_config()

    def validate_configurable(self, configurable: dict[str, Any], where: str) -> None:
        """422 when the configurable values do not fit the task's configurable fields."""
        try:
            self.config.model_validate({"configurable": configurable})
        except ValidationError as error:
            raise invalid(
                "the config does not fit the task's config schema", error, where
            ) from None


def _current(model: TypeBaseModel) -> type[BaseModel]:
    if not issubclass(model, BaseModel):
        raise TypeError(f"{model!r} is a pydantic v1 model; the gateway needs pydantic v2 schemas")
    return model


def _unpacked(model: Any, given: Any) -> Any:
    """What the task gets: the validated value, without the models validation wrapped it in.

    A schema's own model (a prompt's variables, a function's parameters) becomes the dict of
    its fields, with the members the schema does not name kept as they were sent; LangChain
    objects (messages, documents) stay themselves.
    """
    if isinstance(model, RootModel):
        return model.root
    if isinstance(model, BaseModel) and not isinstance(model, Serializable):
        fields = {name: _unpacked(getattr(model, name), None) for name in type(model).model_fields}
        others = (
            {k: v for k, v in given.items() if k not in fields} if isinstance(given, dict) else {}
        )
        return {**others, **fields}
    return model
