"""Registering tasks: names, options, and checks made before anything is sent."""

from __future__ import annotations

import pytest
from langchain_core.runnables import RunnableLambda

from kafkatask import App, BoundTask, ConfigurationError, TaskRegistrationError


def test_default_name_and_duplicate_names_are_refused():
    app = App("shop")

    @app.task
    def add(x: int, y: int) -> int:
        return x + y

    assert add.name.endswith("test_default_name_and_duplicate_names_are_refused.<locals>.add")
    with pytest.raises(TaskRegistrationError, match=r"already registered .*pass name="):
        app.task(add.__wrapped__)
    other = app.task(name="shop.add2")(add.__wrapped__)
    assert other.name == "shop.add2"
    assert app.registry.names() == sorted([add.name, "shop.add2"])


def test_unknown_option_is_refused_naming_the_known_ones():
    app = App("shop")
    with pytest.raises(TaskRegistrationError, match="unknown task option\\(s\\) colour"):
        app.task(colour="blue")(lambda: None)


def test_calling_the_handle_runs_the_function_locally():
    app = App("shop")

    @app.task
    def double(x: int) -> int:
        return 2 * x

    assert double(21) == 42
    assert double.__doc__ is None
    assert double.queue == "default"


def test_runnable_registration_uses_its_name_or_the_given_one():
    app = App("shop")
    upper = RunnableLambda(lambda text: text.upper(), name="upper")
    task = app.task(upper)
    assert task.name == "upper"
    assert task("x") == "X"
    assert app.task(upper, name="shout").name == "shout"


def test_nothing_connects_at_registration():
    # An unreachable broker does not matter until something is sent.
    app = App("offline", bootstrap_servers="127.0.0.1:1")
    app.task(lambda: None, name="noop")
    assert app._connection is None


def test_pickle_without_signing_is_a_configuration_error():
    with pytest.raises(ConfigurationError, match="needs message signing: set signing_secret"):
        App("unsafe", accept_pickle=True)


def test_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("KAFKATASK_NAMESPACE", "from-env")
    monkeypatch.setenv("KAFKATASK_KAFKA", '{"security.protocol": "SASL_SSL"}')
    app = App("env", bootstrap_servers="explicit:9092")
    assert app.settings.namespace == "from-env"
    assert app.settings.bootstrap_servers == "explicit:9092"
    assert app.settings.kafka == {"security.protocol": "SASL_SSL"}


def test_a_bound_tasks_input_schema_is_its_argument_not_self():
    app = App("shop")

    @app.task(name="shop.label", bind=True)
    def label(self: BoundTask, sku: str) -> str:
        return sku

    schema = label.input_schema
    assert schema.model_json_schema()["type"] == "string"
    assert schema.model_validate("a-1").root == "a-1"  # type: ignore[attr-defined]
