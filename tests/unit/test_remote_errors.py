"""Remote exceptions are rebuilt as their own type only when this process already knows it."""

from __future__ import annotations

import sys

from kafkatask import RemoteTaskError
from kafkatask.protocol import ErrorInfo
from kafkatask.remote_errors import describe, rebuild


class CustomError(Exception):
    pass


class NeedsTwoArgumentsError(Exception):
    def __init__(self, a: int, b: int) -> None:
        super().__init__(a, b)


def test_builtin_and_known_types_come_back_as_themselves():
    for error in (ValueError("bad"), CustomError("custom")):
        try:
            raise error
        except Exception as raised:
            info = describe(raised)
        back = rebuild(info)
        assert type(back) is type(error)
        assert str(back) == str(error)
        assert back.remote_traceback.startswith("Traceback (most recent call last)")
        assert "raise error" in back.remote_traceback


def test_a_module_not_imported_here_is_never_imported():
    info = ErrorInfo(type="Boom", module="some_module_nobody_imported", message="m")
    back = rebuild(info)
    assert isinstance(back, RemoteTaskError)
    assert str(back) == "some_module_nobody_imported.Boom: m"
    assert "some_module_nobody_imported" not in sys.modules


def test_types_that_cannot_be_rebuilt_fall_back():
    back = rebuild(describe(NeedsTwoArgumentsError(1, 2)))
    assert isinstance(back, RemoteTaskError)
    assert back.remote_type.endswith("NeedsTwoArgumentsError")
