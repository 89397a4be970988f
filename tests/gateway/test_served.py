"""Which tasks a gateway serves, and at which path."""

from __future__ import annotations

import pytest

from kafkatask import App
from kafkatask.exceptions import ConfigurationError
from kafkatask.gateway.served import ServedTasks, path_of
from kafkatask.gateway.streams import Followers


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("demo.answer", "demo.answer"),
        ("tests.apps.stream_app.count", "tests.apps.stream_app.count"),
        ("Shop-Items_2~x", "Shop-Items_2~x"),
        ("billing/charge", "billing_charge"),
        ("module.<lambda>", "module._lambda_"),
        ("über", "_ber"),
        ("..", "__"),
    ],
)
def test_a_task_is_served_at_its_name_made_path_safe(name, path):
    assert path_of(name) == path


def test_every_task_by_default_or_the_ones_named():
    app = App("served")
    for name in ("a.one", "a.two", "b.three"):
        app.task(lambda x: x, name=name)
    assert [served.path for served in ServedTasks(app)] == ["a.one", "a.two", "b.three"]
    assert [served.name for served in ServedTasks(app, ["b.three"])] == ["b.three"]
    with pytest.raises(ConfigurationError, match=r"cannot serve a\.nine: no such task"):
        ServedTasks(app, ["a.nine"])


def test_two_names_that_would_share_a_path_are_refused():
    app = App("served")
    app.task(lambda x: x, name="a/b")
    app.task(lambda x: x, name="a_b")
    with pytest.raises(ConfigurationError, match="would both be served at /a_b"):
        ServedTasks(app)


def test_a_stream_is_revoked_only_when_its_last_follower_leaves_unfinished():
    followers = Followers()
    followers.join("t", cancel_on_disconnect=True)
    followers.join("t", cancel_on_disconnect=False)
    assert not followers.leave("t", finished=False)  # another client still follows it
    assert followers.leave("t", finished=False)
    followers.join("u", cancel_on_disconnect=True)
    assert not followers.leave("u", finished=True)  # it ended: nothing to cancel
    followers.join("v", cancel_on_disconnect=False)
    assert not followers.leave("v", finished=False)  # nobody asked
    assert len(followers) == 0
