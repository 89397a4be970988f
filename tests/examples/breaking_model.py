"""A chat model that breaks mid-reply, for the error test: EXAMPLES_CHAT_MODEL names it."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from examples.reliable_stream.generation import ANSWER, PacedFakeChatModel

TOKENS_BEFORE_BREAKING = 6


class BreakingChatModel(PacedFakeChatModel):
    """Writes a few tokens of the answer, then loses its connection, as a served model can."""

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        tokens = super()._stream(messages, stop, run_manager, **kwargs)
        yield from itertools.islice(tokens, TOKENS_BEFORE_BREAKING)
        raise ConnectionResetError("the model's server closed the connection")


def create() -> BreakingChatModel:
    return BreakingChatModel(messages=itertools.repeat(AIMessage(ANSWER)), delay=0.01)
