"""examples/models.py: the fakes by default, the factory a variable names, clear errors."""

from __future__ import annotations

import pytest
from langchain_core.embeddings import DeterministicFakeEmbedding, FakeEmbeddings
from langchain_core.language_models import FakeListChatModel, GenericFakeChatModel

from examples.models import CHAT_MODEL, EMBEDDINGS, chat_model, embeddings


def _fake_chat() -> GenericFakeChatModel:
    return GenericFakeChatModel(messages=iter([]))


def test_the_fakes_by_default(monkeypatch):
    monkeypatch.delenv(CHAT_MODEL, raising=False)
    monkeypatch.delenv(EMBEDDINGS, raising=False)
    assert isinstance(chat_model(_fake_chat), GenericFakeChatModel)
    assert isinstance(embeddings(lambda: FakeEmbeddings(size=4)), FakeEmbeddings)


def test_a_configured_factory_replaces_the_fake(monkeypatch):
    monkeypatch.setenv(CHAT_MODEL, "tests.examples.test_models:_listed")
    monkeypatch.setenv(EMBEDDINGS, "tests.examples.test_models:_deterministic")
    assert chat_model(_fake_chat).invoke("hi").content == "configured"
    assert isinstance(embeddings(lambda: FakeEmbeddings(size=4)), DeterministicFakeEmbedding)


@pytest.mark.parametrize(
    ("spec", "error", "says"),
    [
        ("langchain_openai.ChatOpenAI", ValueError, "expected module:attribute"),
        ("no_such_module_here:Model", ValueError, "cannot be imported"),
        ("tests.examples.test_models:_missing", ValueError, "cannot be imported"),
        ("tests.examples.test_models:_deterministic", TypeError, "not a BaseChatModel"),
    ],
)
def test_a_bad_factory_is_refused_clearly(monkeypatch, spec, error, says):
    monkeypatch.setenv(CHAT_MODEL, spec)
    with pytest.raises(error, match=says) as raised:
        chat_model(_fake_chat)
    assert CHAT_MODEL in str(raised.value)


def _listed() -> FakeListChatModel:
    return FakeListChatModel(responses=["configured"])


def _deterministic() -> DeterministicFakeEmbedding:
    return DeterministicFakeEmbedding(size=4)
