"""Three Runnables served as tasks: a chain, a retriever and a RunnableParallel.

`kafkatask worker -A examples.runnables_service.app` runs them; `kafkatask gateway -A
examples.runnables_service.app` serves them over HTTP. The models are langchain-core's fakes
unless EXAMPLES_CHAT_MODEL / EXAMPLES_EMBEDDINGS name real ones (examples/models.py).
"""

from __future__ import annotations

import itertools
from operator import itemgetter

from langchain_core.documents import Document
from langchain_core.embeddings import DeterministicFakeEmbedding
from langchain_core.language_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import RunnableLambda, RunnableParallel
from langchain_core.vectorstores import InMemoryVectorStore

from examples.models import chat_model, embeddings
from kafkatask import App

app = App("runnables-service")

ANSWER = "A topic is an ordered log of records, split into partitions."
NOTES = [
    "A topic is an ordered log of records, split into partitions.",
    "A consumer group shares the partitions of a topic among its members.",
    "An offset is a record's position in its partition.",
    "A producer with acks=all waits until every in-sync replica has the record.",
    "KRaft runs Kafka without ZooKeeper: the controllers keep the metadata in a log.",
]

# prompt | model | parser: one answer per question.
prompt = ChatPromptTemplate.from_messages(
    [("system", "Answer in one sentence."), ("human", "{question}")]
)
model = chat_model(lambda: GenericFakeChatModel(messages=itertools.cycle([AIMessage(ANSWER)])))
answer = app.task(prompt | model | StrOutputParser(), name="service.answer")

# A retriever over a small in-memory vector store. The fake embeddings are a hash of the
# text, so a query finds the same notes on every run and in every process.
store = InMemoryVectorStore.from_documents(
    # Ids of their own, or the store would make random ones, different in every process.
    [Document(text, id=f"note-{i}", metadata={"note": i}) for i, text in enumerate(NOTES)],
    embeddings(lambda: DeterministicFakeEmbedding(size=32)),
)
retriever = store.as_retriever(search_kwargs={"k": 2})
retrieve = app.task(retriever, name="service.retrieve")


def _count_words(question: str) -> int:
    return len(question.split())


# A RunnableParallel: the answer, its sources and a word count, computed side by side.
research = app.task(
    RunnableParallel(
        answer=prompt | model | StrOutputParser(),
        sources=itemgetter("question") | retriever,
        words=itemgetter("question") | RunnableLambda(_count_words),
    ),
    name="service.research",
)
