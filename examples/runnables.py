"""LangChain Runnables served by kafkatask workers: invoke, batch, stream, events, replay.

Start a worker with `kafkatask worker -A examples.runnables`, then run
`python -m examples.runnables`. Fake models only: no API key, no network.
"""

from __future__ import annotations

import asyncio
import itertools

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda

from kafkatask import App

app = App("runnables")

# Any Runnable becomes a task; this one runs on the worker.
model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content="Logs never forget.")]))
summarize = app.task(
    ChatPromptTemplate.from_messages([("human", "Summarize: {text}")]) | model | StrOutputParser(),
    name="examples.summarize",
)


@app.task(name="examples.word_count")
def word_count(text: str) -> int:
    return len(text.split())


def main() -> None:
    # One remote call, a fan-out/fan-in batch, and a stream of chunks as the worker makes them.
    print(summarize.invoke({"text": "Kafka is a distributed log."}))
    print(word_count.batch(["one", "two words", "three more words"]))
    for chunk in summarize.stream({"text": "streams"}):
        print(chunk, end="|")
    print()

    # The task composes with local Runnables in LCEL; streaming stays incremental.
    chain = RunnableLambda(lambda text: {"text": text}) | summarize | RunnableLambda(str.upper)
    print(chain.invoke("compose me"))

    # A stream can be replayed from its cursor, by this or any other process.
    result = summarize.apply_async(({"text": "replay"},), stream=True)
    live = "".join(result.stream(timeout=30))
    replayed = "".join(app.stream(result.cursor, timeout=30))
    print(live == replayed == result.get(timeout=30))

    # The steps inside the worker, as astream_events (v2) shows them.
    async def steps() -> list[str]:
        return [event["event"] async for event in summarize.astream_events({"text": "events"})]

    print(sorted(set(asyncio.run(steps()))))
    app.close()


if __name__ == "__main__":
    main()
