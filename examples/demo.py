"""The demo `make demo` runs: tasks and a LangChain chain served through a real Kafka broker.

Start a worker with `kafkatask worker -A examples.demo`, then run `python -m examples.demo`.
The chat model is langchain-core's fake one, so no API key or network is needed.
"""

from __future__ import annotations

import itertools
import time

from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from kafkatask import App

app = App("demo")


@app.task
def add(x: int, y: int) -> int:
    return x + y


ANSWER = "Kafka keeps every task, result and token in order, so nothing is lost."
model = GenericFakeChatModel(messages=itertools.cycle([AIMessage(content=ANSWER)]))
prompt = ChatPromptTemplate.from_messages([("system", "Answer briefly."), ("human", "{question}")])
answer = app.task(prompt | model | StrOutputParser(), name="demo.answer")


def main() -> None:
    began = time.perf_counter()
    result = add.delay(2, 3)
    print(f"add.delay(2, 3).get() -> {result.get(timeout=60)}   (task {result.id})")
    print(f"  first round trip: {1000 * (time.perf_counter() - began):.1f} ms")
    began = time.perf_counter()
    print(f"add.delay(40, 2).get() -> {add.delay(40, 2).get(timeout=10)}", end="")
    print(f"   ({1000 * (time.perf_counter() - began):.1f} ms)")

    questions = [{"question": f"question {i}"} for i in range(5)]
    began = time.perf_counter()
    replies = answer.batch(questions)
    print(f"answer.batch(5 questions) -> {len(replies)} answers in input order", end="")
    print(f"   ({1000 * (time.perf_counter() - began):.1f} ms)")

    print("answer.stream(...) ->", end=" ", flush=True)
    chunks = 0
    for chunk in answer.stream({"question": "Why Kafka?"}):
        print(chunk, end="", flush=True)
        chunks += 1
    print(f"\n  ({chunks} chunks, streamed from the worker through Kafka)")
    app.close()


if __name__ == "__main__":
    main()
