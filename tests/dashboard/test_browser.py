"""End to end in headless Chromium: a broker, a worker process, a dashboard process, and a
person's path through every page, ending with a dead letter replayed from the browser.

Chromium is Debian's package (scripts/test installs it); Playwright only drives it and never
downloads a browser. Screenshots of every page go to the test's temporary directory, and to
docs/images/ when KAFKATASK_UPDATE_SCREENSHOTS=1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from kafkatask import App
from tests.helpers import CHROMIUM, CHROMIUM_ARGS, ROOT, free_port, settings_env, stop, wait_for

pytestmark = pytest.mark.integration

TOKEN = "browser-test-token"
APP = "tests.dashboard.browser_app"


def _process(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as output:
        return subprocess.Popen(command, env=env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT)


@pytest.fixture
def env(settings) -> dict[str, str]:
    # A replay keeps the task id and retry count; the worker's duplicate filter would answer it
    # with the first run's failure within idempotency_window (reported as a core limitation).
    return settings_env(settings) | {
        "KAFKATASK_IDEMPOTENCY_WINDOW": "0",
        "KAFKATASK_DASHBOARD_TOKEN": TOKEN,
    }


@pytest.fixture
def worker(env, tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    command = [sys.executable, "-m", "kafkatask", "worker", "-A", APP, "-n", "browser-worker"]
    process = _process(command, env, tmp_path / "worker.log")
    yield process
    stop(process)


@pytest.fixture
def dashboard_url(env, tmp_path) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "kafkatask",
        "dashboard",
        "-A",
        APP,
        "--port",
        str(port),
        "--lag-interval",
        "1",
        "--refresh",
        "1",
    ]
    process = _process(command, env, tmp_path / "dashboard.log")
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, (tmp_path / "dashboard.log").read_text()
        try:
            return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(healthy, 60, "the dashboard to answer")
    yield url
    stop(process)


@pytest.fixture
def browser_page(tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1400, "height": 900},
            http_credentials={"username": "ops", "password": TOKEN},
        )
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))
        page.problems = problems
        yield page
        context.close()


def _shoot(page, tmp_path: Path, name: str) -> None:
    target = tmp_path / f"dashboard-{name}.png"
    page.screenshot(path=str(target), full_page=True)
    if os.environ.get("KAFKATASK_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(target, ROOT / "docs" / "images" / target.name)


@dataclass
class Work:
    """What the test sent: ids to look for on the pages."""

    failed: str
    injected: str
    marker: Path


@pytest.fixture
def work(settings, worker, tmp_path) -> Iterator[Work]:
    """A worker ran some tasks, one failed into the dead-letter topic, five wait unread."""
    client = App("browser-client", settings=settings)
    add = client.task(lambda x, y: x + y, name="browser.add")
    echo = client.task(lambda text: text, name="browser.echo")
    flaky = client.task(lambda marker: marker, name="browser.flaky")
    backlog = client.task(lambda: None, name="browser.backlog", queue="backlog")  # no worker
    marker = tmp_path / "healed"
    try:
        for i in range(8):
            assert add.delay(i, i).get(timeout=60) == 2 * i
        injected = echo.delay("<img src=x onerror=alert(1)>")
        injected.get(timeout=30)
        failed = flaky.delay(str(marker))
        with pytest.raises(Exception, match="does not exist yet"):
            failed.get(timeout=30)
        for _ in range(5):
            backlog.delay()
        client.connection.producer.flush(10)
        yield Work(failed.id, injected.id, marker)
    finally:
        client.close()


def test_a_person_watches_tasks_and_replays_a_dead_letter(
    settings, work, dashboard_url, browser_page, tmp_path
):
    page = browser_page
    _overview_and_workers(page, dashboard_url, tmp_path)
    _tasks(page, dashboard_url, tmp_path, work)
    _queues(page, dashboard_url, tmp_path, settings.namespace)
    _replay(page, dashboard_url, tmp_path, work)
    assert page.problems == []  # no console error, no script or style refused by the CSP


def _overview_and_workers(page, url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/")
    expect(page.locator("#workers-online")).to_have_text("1")
    expect(page.locator("#dead-letters")).to_have_text("1")
    _shoot(page, tmp_path, "overview")
    page.goto(url + "/workers")
    row = page.locator("tr.worker", has_text="browser-worker")
    assert "online" in row.inner_text()
    assert "default" in row.inner_text()
    _shoot(page, tmp_path, "workers")


def _tasks(page, url: str, tmp_path: Path, work: Work) -> None:
    page.goto(url + "/tasks")
    page.locator(f'tr[data-task-id="{work.failed}"]').wait_for()
    assert page.locator("tr.task").count() == 10
    # The injected argument is text on the page, not an element
    assert page.locator("#tasks img").count() == 0
    injected = page.locator(f'tr[data-task-id="{work.injected}"]').inner_text()
    assert "<img src=x onerror=alert(1)>" in injected
    _shoot(page, tmp_path, "tasks")
    page.goto(f"{url}/tasks/{work.failed}")
    page.get_by_text("RuntimeError").first.wait_for()
    assert "Traceback (most recent call last)" in page.locator("pre.traceback").inner_text()
    _shoot(page, tmp_path, "task")


def _queues(page, url: str, tmp_path: Path, namespace: str) -> None:
    from playwright.sync_api import expect

    page.goto(url + "/queues")
    page.locator("td", has_text="browser-worker").first.wait_for()
    expect(page.locator("#total-lag")).to_have_text("5")
    waiting = page.locator("section.group", has_text="no consumer group reads")
    assert f"{namespace}.tasks.backlog" in waiting.inner_text()
    _shoot(page, tmp_path, "queues")


def _replay(page, url: str, tmp_path: Path, work: Work) -> None:
    """Replay the dead letter from the browser, and see the task run again."""
    page.goto(url + "/dead-letters")
    letter = page.locator("tr.dead-letter", has_text=work.failed)
    assert "retries-exhausted" in letter.inner_text()
    _shoot(page, tmp_path, "dead-letters")
    letter.get_by_role("link", name="Replay").click()
    page.get_by_text("Replay 1 dead letter?").wait_for()
    work.marker.write_text("fixed")
    page.locator("#confirm").click()
    page.get_by_text("Done: replayed 1.").wait_for()
    assert page.locator("tr.dead-letter", has_text=work.failed).count() == 0
    page.goto(f"{url}/tasks/{work.failed}")
    page.locator("#task .state-success").wait_for()  # the live refresh brings the new run
    assert "healed" in page.locator("pre.result").inner_text()
    _shoot(page, tmp_path, "task-replayed")
