"""Every HTML page, rendered through Starlette's test client from real TaskEvents."""

from __future__ import annotations

import re

from kafkatask.protocol import TaskEvent
from tests.dashboard.conftest import NOW, WORKER, lifecycle


def test_overview_shows_rates_latency_workers_lag_and_dead_letters(client, fed):
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert 'id="workers-online">1<' in html
    assert 'id="dead-letters">2<' in html  # the unresolved letters
    assert 'id="total-lag">11<' in html  # 7 behind in the worker group, 4 waiting unread
    assert "latency p50" in html
    assert "12.0 ms" in html
    assert html.count("<polyline") == 4  # succeeded, failed, retried, lag
    assert "0.02" in html  # one success in the last minute: 1/60 per second


def test_a_partial_update_is_only_the_live_block(client):
    partial = client.get("/", headers={"X-Partial": "1"})
    assert partial.status_code == 200
    assert "<html" not in partial.text
    assert 'id="workers-online"' in partial.text


def test_workers_page_lists_what_heartbeats_say(client):
    html = client.get("/workers").text
    for fact in (WORKER, "host-1", "4242", "default, high", ">8<", "online", "ns.tasks.default[0]"):
        assert fact in html


def test_a_worker_that_misses_heartbeats_turns_offline(client, fed, clock):
    assert "status-online" in client.get("/workers").text
    clock.now = NOW + 3 * fed.state.heartbeat_interval + 1
    html = client.get("/workers").text
    assert "status-offline" in html
    assert "status-online" not in html


def test_a_worker_that_says_it_stopped_is_offline_at_once(client, fed):
    fed.state.apply(TaskEvent(type="worker-offline", worker=WORKER, ts=NOW))
    assert "status-offline" in client.get("/workers").text


def test_tasks_page_lists_recent_tasks_newest_first(client):
    html = client.get("/tasks").text
    assert html.index("t-running") < html.index("t-bad") < html.index("t-ok")
    assert "3 tasks match" in html


def test_tasks_page_filters(client):
    assert "t-bad" in client.get("/tasks?state=failure").text
    assert "t-ok" not in client.get("/tasks?state=FAILURE").text
    by_name = client.get("/tasks?name=demo.add").text
    assert "t-ok" in by_name
    assert "t-bad" not in by_name
    assert "1 task matches" in client.get("/tasks?search=runn").text
    assert "0 tasks match" in client.get(f"/tasks?worker=someone-else&since={NOW - 100}").text
    assert "3 tasks match" in client.get(f"/tasks?worker={WORKER}").text
    assert "1 task matches" in client.get(f"/tasks?since={NOW - 3}").text
    assert "2 tasks match" in client.get(f"/tasks?until={NOW - 5}").text


def test_tasks_page_refuses_a_bad_filter(client):
    assert client.get("/tasks?state=SLEEPING").status_code == 400
    assert client.get("/tasks?since=yesterday").status_code == 400
    assert client.get("/tasks?limit=0").status_code == 400


def test_tasks_page_pages(client, fed):
    for number in range(30):
        for event in lifecycle(f"bulk-{number:02d}", ts=NOW - 1):
            fed.state.apply(event)
    first = client.get("/tasks?search=bulk&limit=10").text
    assert "page 1 of 3" in first
    assert "bulk-29" in first
    assert "bulk-19" not in first
    third = client.get("/tasks?search=bulk&limit=10&page=3").text
    assert "bulk-00" in third
    assert "bulk-10" not in third
    assert "← newer" in third


def test_task_page_shows_args_result_timeline(client):
    html = client.get("/tasks/t-ok").text
    assert "demo.add" in html
    assert "2, 3" in html
    assert ">5</pre>" in html
    assert html.count("state-received") >= 1
    assert "state-started" in html
    assert "Revoke" not in html  # finished tasks cannot be revoked


def test_task_page_shows_who_sent_the_task_when_its_events_say(client, fed):
    assert 'id="caller"' not in client.get("/tasks/t-ok").text  # sent without a caller
    for event in lifecycle("t-called", caller="billing-service"):
        fed.state.apply(event)
    assert '<dd class="mono" id="caller">billing-service</dd>' in client.get("/tasks/t-called").text
    assert client.get("/api/tasks/t-called").json()["caller"] == "billing-service"


def test_task_page_shows_the_error_and_traceback(client):
    html = client.get("/tasks/t-bad").text
    assert "KeyError" in html
    assert "Traceback (most recent call last)" in html


def test_unknown_task_is_a_404_page(client):
    page = client.get("/tasks/nope")
    assert page.status_code == 404
    assert "not in the window" in page.text


def test_task_arguments_cannot_inject_html(client):
    # Given a task whose arguments are a script tag, when its pages render,
    # then the tag is shown as text, never as markup.
    for url in ("/tasks", "/tasks/t-running", "/tasks?search=t-running"):
        html = client.get(url).text
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_pages_forbid_inline_scripts(client):
    policy = client.get("/tasks").headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "unsafe-inline" not in policy


def test_stream_chunks_page(client, fed):
    html = client.get("/tasks/t-ok/chunks").text
    assert "3 stream records found" in html
    assert "&lt;b&gt;world&lt;/b&gt;" in html
    assert fed.streams.asked == [("t-ok", NOW - 20, None)]


def test_revoke_asks_for_confirmation_then_needs_the_csrf_token(client, fed):
    confirm = client.get("/tasks/t-running/revoke")
    assert confirm.status_code == 200
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm.text)[1]
    refused = client.post("/tasks/t-running/revoke", data={"terminate": "yes"})
    assert refused.status_code == 403
    assert fed.revoked == []
    done = client.post(
        "/tasks/t-running/revoke",
        data={"csrf_token": token, "terminate": "yes"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/tasks/t-running?done=revoked"
    assert fed.revoked == [("t-running", True)]


def test_queues_page_shows_lag_per_partition_with_owner(client):
    html = client.get("/queues").text
    assert "ns.workers.default" in html
    assert "demo@host:abc123" in html
    assert 'class="lag-value">7<' in html
    assert "Task topics no consumer group reads" in html
    assert "ns.tasks.idle" in html
    assert "<polyline" in html


def test_dead_letters_page_lists_unresolved_letters(client):
    html = client.get("/dead-letters").text
    assert "dead-1" in html
    assert "dead-2" in html
    assert "retries-exhausted" in html
    assert "demo.other" not in client.get("/dead-letters?task=demo.flaky").text
    assert client.get("/dead-letters?status=lost").status_code == 400


def test_dead_letter_page_shows_the_original_request(client):
    html = client.get("/dead-letters/3").text
    assert "KeyError" in html
    assert "&#34;id&#34;: &#34;dead-1&#34;" in html
    assert client.get("/dead-letters/99").status_code == 404


def test_replay_goes_through_a_confirmation_page_with_a_csrf_token(client, dead_letters):
    confirm = client.get("/dead-letters/confirm?action=replay&offset=3")
    assert confirm.status_code == 200
    assert "Replay 1 dead letter?" in confirm.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm.text)[1]
    assert client.post("/dead-letters/replay", data={"offset": "3"}).status_code == 403
    done = client.post(
        "/dead-letters/replay", data={"offset": "3", "csrf_token": token}, follow_redirects=False
    )
    assert done.status_code == 303
    assert "replayed+1" in done.headers["location"]
    assert dead_letters.replayed[0][0] == [3]
    assert dead_letters.replayed[0][1].startswith("dashboard:anonymous@")
    assert "dead-1" not in client.get("/dead-letters").text  # replayed letters leave the list


def test_purge_needs_confirmation_too(client, dead_letters):
    confirm = client.get("/dead-letters/confirm?action=purge&offset=3&offset=4")
    assert "Purge 2 dead letters?" in confirm.text
    assert "cannot be undone" in confirm.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', confirm.text)[1]
    client.post("/dead-letters/purge", data={"offset": ["3", "4"], "csrf_token": token})
    assert dead_letters.purged[0][0] == [3, 4]


def test_actions_refuse_cross_origin_posts_and_bad_input(client):
    token = re.search(
        r'name="csrf_token" value="([^"]+)"',
        client.get("/dead-letters/confirm?action=purge&offset=3").text,
    )[1]
    evil = client.post(
        "/dead-letters/purge",
        data={"offset": "3", "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert evil.status_code == 403
    assert client.get("/dead-letters/confirm?action=explode&offset=3").status_code == 400
    assert client.get("/dead-letters/confirm?action=replay&offset=x").status_code == 400
    assert (
        client.post("/dead-letters/explode", data={"offset": "3", "csrf_token": token}).status_code
        == 400
    )


def test_metrics_and_health(client):
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    text = metrics.text
    assert 'kafkatask_dashboard_events_total{type="task-received"} 3.0' in text
    assert 'kafkatask_dashboard_window_tasks{state="SUCCESS"} 1.0' in text
    assert 'kafkatask_dashboard_workers{status="online"} 1.0' in text
    lag = 'group="ns.workers.default",partition="0",topic="ns.tasks.default"'
    assert f"kafkatask_consumer_lag{{{lag}}} 7.0" in text
    assert client.get("/healthz").text == "ok"


def test_static_assets_are_served(client):
    assert "X-Partial" in client.get("/static/dashboard.js").text
    assert client.get("/static/dashboard.css").status_code == 200
