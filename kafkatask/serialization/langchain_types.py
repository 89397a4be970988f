"""The LangChain classes a message may construct by default.

langchain-core's own "core" allowlist includes prompt templates and other classes that run
logic when built, which its documentation calls unsafe for data from elsewhere. Tasks exchange
data, so the default here is data classes only: messages and their chunks, documents, prompt
values and agent actions. Applications add classes with `App(allowed_objects=[...])`.
"""

from __future__ import annotations

from langchain_core.agents import AgentAction, AgentActionMessageLog, AgentFinish
from langchain_core.documents import Document
from langchain_core.load.serializable import Serializable
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    ChatMessageChunk,
    FunctionMessage,
    FunctionMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
)
from langchain_core.prompt_values import ChatPromptValue, ChatPromptValueConcrete, StringPromptValue

DATA_CLASSES: tuple[type[Serializable], ...] = (
    AIMessage,
    AIMessageChunk,
    ChatMessage,
    ChatMessageChunk,
    FunctionMessage,
    FunctionMessageChunk,
    HumanMessage,
    HumanMessageChunk,
    RemoveMessage,
    SystemMessage,
    SystemMessageChunk,
    ToolMessage,
    ToolMessageChunk,
    Document,
    StringPromptValue,
    ChatPromptValue,
    ChatPromptValueConcrete,
    AgentAction,
    AgentActionMessageLog,
    AgentFinish,
)
