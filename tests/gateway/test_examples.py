"""The gateway's examples (docs/gateway.md) run against real processes: a worker of
examples.gateway.app, a gateway, and for the browser, the example site with a page that is
reloaded mid-stream in Chromium (Debian's, driven by Playwright, as the dashboard's test)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from examples.gateway.app import ANSWER, STORY
from tests.helpers import (
    ROOT,
    chromium_page,
    free_port,
    settings_env,
    spawn_worker,
    stop,
    wait_for,
)

pytestmark = pytest.mark.integration

APP = "examples.gateway.app"


def _serve(command: list[str], settings, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    with log.open("ab") as output:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=settings_env(settings),
            cwd=ROOT,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        assert process.poll() is None, log.read_text()
        try:
            return httpx.get(url, timeout=1).status_code < 500
        except httpx.TransportError:
            return False

    wait_for(up, 60, f"{command[2:4]} to answer")
    return process, url


@pytest.fixture(scope="module")
def logs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("example-logs")


@pytest.fixture(scope="module")
def worker(module_settings, logs) -> Iterator[None]:
    process = spawn_worker(module_settings, APP, "-c", "8", log=logs / "worker.log")
    yield
    stop(process)


@pytest.fixture(scope="module")
def gateway(module_settings, worker, logs) -> Iterator[str]:
    command = [sys.executable, "-m", "kafkatask", "gateway", "-A", APP]
    process, url = _serve(command, module_settings, logs / "gateway.log")
    yield url
    stop(process)


def _run(command: list[str], settings) -> str:
    done = subprocess.run(
        command,
        env=settings_env(settings),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_curl_example(gateway, module_settings):
    output = _run(["bash", "examples/gateway/curl.sh", gateway], module_settings)
    assert '{"output":5,' in output
    assert '{"output":[3,7],' in output
    assert "event: metadata" in output
    assert 'data: "Once "' in output
    words = STORY.split()
    resumed = output.split("# resume right after the third chunk")[1].strip().splitlines()[1:]
    assert resumed == [f'data: "{word} "' for word in words[3:6]]


def test_the_remote_runnable_example(gateway, module_settings):
    output = _run([sys.executable, "-m", "examples.gateway.client", gateway], module_settings)
    assert output.splitlines() == [
        "invoke: 5",
        "batch: [3, 7]",
        f"invoke: AIMessage: {ANSWER}",
        f"stream: {ANSWER}",
        f"astream: {ANSWER}",
    ]


@pytest.fixture(scope="module")
def site(module_settings, worker, logs) -> Iterator[str]:
    command = [sys.executable, "-m", "uvicorn", "examples.gateway.site:site"]
    process, url = _serve(command, module_settings, logs / "site.log")
    yield url
    stop(process)


@pytest.fixture
def page():
    with chromium_page() as page:
        yield page


def test_a_page_reloaded_mid_stream_goes_on_with_no_word_lost_or_repeated(site, page, tmp_path):
    from playwright.sync_api import expect

    page.goto(site + "/")
    page.locator("#start").click()
    # Wait until a few words have arrived, then reload while the story is still being told
    # (words end with a space, so count the words, not the pieces between spaces)
    page.wait_for_function(
        "document.getElementById('story').textContent.trim().split(/\\s+/).length >= 6"
    )
    page.reload()
    shown_after_reload = page.locator("#story").text_content() or ""
    expect(page.locator("#status")).to_have_text("done")
    page.screenshot(path=str(tmp_path / "gateway-page.png"))
    assert 6 <= len(shown_after_reload.split()) < len(STORY.split())  # it really was mid-stream
    assert (page.locator("#story").text_content() or "").strip() == STORY
    assert page.problems == []
