"""Finding the user's App from `-A package.module[:attribute]`."""

from __future__ import annotations

import importlib
import os
import sys

import click

from kafkatask.app import App


def load_app(spec: str) -> App:
    """Import `package.module` and return its App (`:attribute`, else `app`, else the only one)."""
    module_name, _, attribute = spec.partition(":")
    # Like `python -m`, a module in the current directory must be importable.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise click.BadParameter(
            f"cannot import {module_name!r}: {error}; pass -A package.module[:app] with the "
            "module importable from the current directory or PYTHONPATH",
            param_hint="-A/--app",
        ) from error
    if attribute:
        found = getattr(module, attribute, None)
        if not isinstance(found, App):
            raise click.BadParameter(
                f"{module_name} has no App called {attribute!r}", param_hint="-A/--app"
            )
        return found
    if isinstance(getattr(module, "app", None), App):
        return module.app  # type: ignore[no-any-return]
    apps = [value for value in vars(module).values() if isinstance(value, App)]
    if len(apps) == 1:
        return apps[0]
    raise click.BadParameter(
        f"{module_name} defines {len(apps)} App objects and none is called 'app'; "
        f"name one with -A {module_name}:<name>",
        param_hint="-A/--app",
    )
