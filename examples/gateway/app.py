"""Tasks for the gateway: `kafkatask worker -A examples.gateway.app` runs them, and
`kafkatask gateway -A examples.gateway.app` serves them over HTTP. Fake models only: no API
key, no network.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

from kafkatask import App

app = App("gateway-example")

STORY = (
    "Once upon a time a log kept every word in order, and whoever came back later, on any "
    "machine, could read on from where they had stopped, without a word lost or told twice."
)


@app.task(name="examples.add")
def add(x: int, y: int) -> int:
    """Add two numbers."""
    return x + y


@app.task(name="examples.story")
def story(topic: str) -> Iterator[str]:
    """Tell a story, word by word, slowly (like a model would)."""
    for word in STORY.split():
        time.sleep(0.05)
        yield word + " "


ANSWER = "Kafka keeps every token in order, so nothing is lost."
prompt = ChatPromptTemplate.from_messages(
    [("system", "Answer briefly."), MessagesPlaceholder("history"), ("human", "{question}")]
)
model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content=ANSWER)]))
chat = app.task(prompt | model, name="examples.chat")
