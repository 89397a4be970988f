"""The worker's side: a chat reply, streamed token by token from a LangChain chat model.

`kafkatask worker -A examples.reliable_stream.generation` runs it. The model is langchain-core's
fake chat model, which answers without an API key or network, at the pace of a served model;
`EXAMPLES_CHAT_MODEL=module:attribute` names a factory of any LangChain chat model instead
(`langchain_openai:ChatOpenAI`), as for every example (examples/models.py), called once per
worker process.
"""

from __future__ import annotations

import functools
import itertools
import time
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.outputs import ChatGenerationChunk

from examples import models
from kafkatask import App

app = App("reliable-stream")

SYSTEM = "You are a helpful assistant. Answer in a few sentences."
ANSWER = (
    "Every token of this reply is a record in Kafka, in order. Reload the page, open a second "
    "tab, or come back later: the stream goes on from the last token you saw, with nothing "
    "lost and nothing shown twice, for as long as the topic keeps it."
)


class PacedFakeChatModel(GenericFakeChatModel):
    """GenericFakeChatModel that takes `delay` seconds per token, as a served model does."""

    delay: float = 0.04

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        for chunk in super()._stream(messages, stop, run_manager, **kwargs):
            time.sleep(self.delay)
            yield chunk


def fake_model() -> BaseChatModel:
    """The default model: the same answer to every message, one word at a time."""
    return PacedFakeChatModel(messages=itertools.repeat(AIMessage(ANSWER)))


@functools.cache
def chat_model() -> BaseChatModel:
    return models.chat_model(fake_model)


@app.task(name="examples.reliable_stream.reply")
def reply(message: str) -> Iterator[str]:
    """Answer one message, yielding the reply's text as the model writes it."""
    for chunk in chat_model().stream([SystemMessage(SYSTEM), HumanMessage(message)]):
        if chunk.text:
            yield chunk.text
