"""The models of the examples: langchain-core's fakes by default, any LangChain model on request.

Every example asks here for its chat model and its embeddings, passing its own fake. Set
`EXAMPLES_CHAT_MODEL` (or `EXAMPLES_EMBEDDINGS`) to `module:attribute`, a class or function
that makes the model when called with no arguments, and every example uses that instead:

    pip install langchain-openai
    export OPENAI_API_KEY=...
    export EXAMPLES_CHAT_MODEL=langchain_openai:ChatOpenAI
    export EXAMPLES_EMBEDDINGS=langchain_openai:OpenAIEmbeddings

The model is made where the example's tasks are imported, so the worker needs the variables
(docs/examples.md).
"""

from __future__ import annotations

import os
import pkgutil
from collections.abc import Callable
from typing import TypeVar

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel

CHAT_MODEL = "EXAMPLES_CHAT_MODEL"
EMBEDDINGS = "EXAMPLES_EMBEDDINGS"

M = TypeVar("M")


def chat_model(fake: Callable[[], BaseChatModel]) -> BaseChatModel:
    """The chat model `EXAMPLES_CHAT_MODEL` names, else `fake()`."""
    return _configured(CHAT_MODEL, BaseChatModel, fake)


def embeddings(fake: Callable[[], Embeddings]) -> Embeddings:
    """The embeddings `EXAMPLES_EMBEDDINGS` names, else `fake()`."""
    return _configured(EMBEDDINGS, Embeddings, fake)


def _configured(variable: str, kind: type[M], fake: Callable[[], M]) -> M:
    spec = os.environ.get(variable, "").strip()
    if not spec:
        return fake()
    if ":" not in spec:
        raise ValueError(f"{variable}={spec!r}: expected module:attribute, e.g. {_EXAMPLE[kind]}")
    try:
        factory = pkgutil.resolve_name(spec)
    except (ImportError, AttributeError) as error:
        raise ValueError(f"{variable}={spec!r} cannot be imported: {error}") from error
    made = factory()
    if not isinstance(made, kind):
        raise TypeError(f"{variable}={spec!r} made a {type(made).__name__}, not a {kind.__name__}")
    return made


_EXAMPLE: dict[type, str] = {
    BaseChatModel: "langchain_openai:ChatOpenAI",
    Embeddings: "langchain_openai:OpenAIEmbeddings",
}
