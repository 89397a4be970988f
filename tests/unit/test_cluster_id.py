"""The launcher's KRaft cluster ids: kafka-storage must never take one for an option."""

from __future__ import annotations

import uuid

from kafkatask.local_broker import launcher


def test_an_id_that_would_start_with_a_dash_is_drawn_again(monkeypatch):
    dash_first = uuid.UUID(bytes=b"\xf8" + bytes(15))  # base64url "-" is 62: 0b111110...
    fine = uuid.UUID(bytes=b"\x00" + bytes(15))
    draws = iter([dash_first, fine])
    monkeypatch.setattr(launcher.uuid, "uuid4", lambda: next(draws))
    assert launcher.new_cluster_id() == "AAAAAAAAAAAAAAAAAAAAAA"


def test_ids_are_22_base64url_characters():
    for _ in range(200):
        cluster_id = launcher.new_cluster_id()
        assert len(cluster_id) == 22
        assert not cluster_id.startswith("-")
