"""Retries, delays, limits, revocation and dead letters, against a real worker.

Start a worker with `kafkatask worker -A examples.reliability`, then run
`python -m examples.reliability`.
"""

from __future__ import annotations

import time

from kafkatask import App, BoundTask, TaskRevokedError
from kafkatask.dlq import DeadLetterQueue, DlqFilter

app = App("reliability")


class UpstreamBusyError(Exception):
    """A back-end that asks us to come back later."""


@app.task(
    name="examples.call_model",
    autoretry_for=(UpstreamBusyError,),  # retried automatically, through Kafka's delay topics
    max_retries=3,
    retry_backoff=0.2,  # exponential backoff: 0.2 s, 0.4 s, 0.8 s ... (with jitter)
    retry_backoff_max=5,
    rate_limit="20/s",  # per worker; see the README for a cluster-wide limit
    time_limit=10,  # ended with TimeLimitExceeded after 10 s
)
def call_model(prompt: str, busy_times: int) -> str:
    if busy_times > 0:
        raise UpstreamBusyError(f"busy, {busy_times} more time(s)")
    return prompt.upper()


@app.task(name="examples.poll_job", bind=True, max_retries=5)
def poll_job(self: BoundTask, job: str) -> str:
    # self.request describes this run; self.retry() asks for another one later.
    if self.request.retries < 2:
        self.retry(countdown=0.2)
    return f"{job} finished after {self.request.retries} retries"


@app.task(
    name="examples.flaky",
    autoretry_for=(UpstreamBusyError,),
    max_retries=1,
    default_retry_delay=0.1,
)
def flaky(item: str) -> str:
    raise UpstreamBusyError(f"{item} is never accepted")


def main() -> None:
    print(call_model.delay("hello", busy_times=0).get(timeout=30))
    print(poll_job.delay("report-7").get(timeout=30))

    later = call_model.apply_async(("later", 0), countdown=1.5)  # waits in Kafka, not a worker
    began = time.monotonic()
    print(later.get(timeout=30), f"after {time.monotonic() - began:.1f}s")

    cancelled = call_model.apply_async(("never", 0), countdown=2)
    cancelled.revoke()
    try:
        cancelled.get(timeout=30)
    except TaskRevokedError as error:
        print("revoked:", error)

    failed = flaky.delay("order-1")
    failed.get(timeout=30, propagate=False)  # retried once, then dead-lettered
    print("state:", failed.state, "retries:", failed.retries)
    dlq = DeadLetterQueue(app)
    deadline = time.monotonic() + 30
    while not (letters := dlq.entries(DlqFilter(task="examples.flaky"))):
        if time.monotonic() > deadline:
            raise TimeoutError("the dead letter did not arrive")
        time.sleep(0.1)
    print("dead letter:", letters[0].letter.reason, len(letters[0].letter.attempts), "attempts")
    app.close()


if __name__ == "__main__":
    main()
