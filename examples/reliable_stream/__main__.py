"""`python -m examples.reliable_stream [--port 8000]`: the site and a worker, in one process.

For more than one machine, run them apart: `kafkatask worker -A
examples.reliable_stream.generation` (as many as needed) and `uvicorn
examples.reliable_stream.server:site`.
"""

from __future__ import annotations

import argparse

import uvicorn

from examples.reliable_stream.generation import app
from examples.reliable_stream.server import make_site
from kafkatask.worker import Worker


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m examples.reliable_stream")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    options = parser.parse_args()
    site = make_site(worker=Worker(app, concurrency=8))
    print(f"open http://{options.host}:{options.port}/", flush=True)
    uvicorn.run(site, host=options.host, port=options.port, log_level="warning")


if __name__ == "__main__":
    main()
