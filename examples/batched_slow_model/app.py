"""A deliberately slow model served twice: once with micro-batching, once without.

`kafkatask worker -A examples.batched_slow_model.app` runs both tasks. The model stands for one
accelerator: it answers one call at a time, and a call costs the same whether it carries one
prompt or a batch of four, so gathering requests multiplies what it can serve.
EXAMPLES_CHAT_MODEL names a real chat model instead (examples/models.py).
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from langchain_core.callbacks import AsyncCallbackManagerForLLMRun, CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableConfig
from pydantic import PrivateAttr

from examples.models import chat_model
from kafkatask import App

app = App("batched-slow-model")

BATCH_SIZE = 4
SECONDS_PER_CALL = 0.4


class SlowFakeChatModel(BaseChatModel):
    """A fake model on one accelerator: one call at a time, `seconds` per call, batch or not."""

    seconds: float = SECONDS_PER_CALL
    _sync_busy: threading.Lock = PrivateAttr(default_factory=threading.Lock)
    _async_busy: asyncio.Lock = PrivateAttr(default_factory=asyncio.Lock)

    @property
    def _llm_type(self) -> str:
        return "slow-fake-chat-model"

    @staticmethod
    def reply(context: str) -> str:
        """What the model answers to a prompt ending in `context`."""
        return f"Generated from {context!r}."

    def _answer(self, messages: list[BaseMessage]) -> AIMessage:
        return AIMessage(self.reply(str(messages[-1].content)))

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        with self._sync_busy:
            time.sleep(self.seconds)
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages))])

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        async with self._async_busy:
            await asyncio.sleep(self.seconds)
        return ChatResult(generations=[ChatGeneration(message=self._answer(messages))])

    # A chat model's own batch makes one call per input; this one answers the whole batch in
    # one call, as a server with batched inference does (so no per-input callbacks either).
    def batch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        with self._sync_busy:
            time.sleep(self.seconds)
        return [self._answer(self._convert_input(i).to_messages()) for i in inputs]

    async def abatch(
        self,
        inputs: list[LanguageModelInput],
        config: RunnableConfig | list[RunnableConfig] | None = None,
        *,
        return_exceptions: bool = False,
        **kwargs: Any,
    ) -> list[AIMessage]:
        async with self._async_busy:
            await asyncio.sleep(self.seconds)
        return [self._answer(self._convert_input(i).to_messages()) for i in inputs]


prompt = ChatPromptTemplate.from_messages(
    [("system", "Continue the text."), ("human", "{context}")]
)
model = chat_model(SlowFakeChatModel)
chain = prompt | model | StrOutputParser()

# The same chain twice: the worker gathers up to four pending requests of `generate`, waiting
# at most 50 ms after the first, and calls the chain's batch once; `generate_one` runs each
# request on its own.
generate = app.task(chain, name="slow.generate", batch_size=BATCH_SIZE, batch_window_ms=50)
generate_one = app.task(chain, name="slow.generate_one")
