"""Against a hostile gateway over real HTTP: time bounds, what was sent, strict answers, the
host policy, and what reaches the terminal. Through the CLI (in-process) and the SDK."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import CANARY, env_for
from hostile import Reply, modellix_task, vtrix_task

from vtrix import Client
from vtrix.errors import BadAnswer, SubmitOutcomeUnknown, TemporaryFailure, WaitTimeout

SUBMIT = "/model/v1/generation"
TASK = r"/model/v1/generation/task/.*"
RUN = ["run", "kirin_v3_i2v", "--param", "image_url=https://example.com/a.jpg"]


def ok_submit(gw, task_id="task_1"):
    gw.on("POST", SUBMIT, Reply(json=vtrix_task(task_id, "in_progress", progress=0)))


# ------------------------------------------------------------------------- time bounds


@pytest.mark.parametrize(
    "poll",
    [
        Reply(503, json={"message": "busy"}),
        Reply(hang=30),
        Reply(json=vtrix_task("task_1", "in_progress"), drip=0.4),
        Reply(429, json={"message": "slow down"}, headers={"Retry-After": "30"}),
    ],
    ids=["503s", "hung-read", "drip-fed-body", "long-retry-after"],
)
def test_timeout_is_a_deadline_for_the_whole_wait(vtrix, hostile, poll):
    ok_submit(hostile)
    hostile.on("GET", TASK, poll)
    assert vtrix("--dry-run", *RUN).code == 0  # imports done: time the wait alone
    r = vtrix(*RUN, "--timeout", "2", env=env_for(hostile))
    assert r.code == 124, r.err
    # The deadline the user gave (not what was left of it when the wait began), and how to
    # go on. (How long it took is a benchmark's business, never a test's.)
    assert "Timed out after 2s waiting for task task_1" in r.err
    assert "vtrix task wait task_1" in r.err


def test_sdk_timeout_is_the_same_deadline(home, hostile):
    ok_submit(hostile)
    hostile.on("GET", TASK, Reply(hang=300))
    client = Client(api_key=CANARY, base_url=hostile.url)
    start = time.monotonic()
    with pytest.raises(WaitTimeout):
        client.run("kirin_v3_i2v", image_url="https://example.com/a.jpg", timeout=1.5)
    assert time.monotonic() - start < 60  # the poll would hang for minutes: the deadline won


@pytest.mark.real_time  # waits out a hold kept by the database's clock
def test_a_read_429_waits_retry_after_while_the_deadline_allows(vtrix, hostile):
    ok_submit(hostile)
    hostile.on(
        "GET",
        TASK,
        Reply(429, json={"message": "slow"}, headers={"Retry-After": "1"}),
        Reply(json=vtrix_task()),
    )
    r = vtrix(*RUN, "-o", "url", env=env_for(hostile))
    assert r.code == 0, r.err
    assert r.out.strip() == "https://cdn.example/o.mp4"
    assert hostile.count("GET", TASK) == 2


@pytest.mark.parametrize(
    "headers",
    [
        {"Retry-After": "nan"},
        {"Retry-After": "inf"},
        {"Retry-After": "-5"},
        {"Retry-After": "1e400"},
        {"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"},
        {"retry-after-ms": "200"},
        {"Retry-After": "soon"},
    ],
)
def test_any_retry_after_value_is_survived(vtrix, hostile, headers):
    ok_submit(hostile)
    hostile.on("GET", TASK, Reply(503, json={}, headers=headers), Reply(json=vtrix_task()))
    r = vtrix(*RUN, "-o", "url", env=env_for(hostile))
    assert r.code == 0, r.err
    assert "Traceback" not in r.err and "infs" not in r.err


def test_retry_after_forms():
    from vtrix.http.retry import retry_after

    now = 1_700_000_000.0
    assert retry_after({"retry-after": "3"}, now) == 3
    assert retry_after({"retry-after-ms": "1500"}, now) == 1.5
    assert retry_after({"retry-after": "Tue, 14 Nov 2023 22:13:25 GMT"}, now) == pytest.approx(5)
    assert retry_after({"x-ratelimit-reset": str(now + 7)}, now) == pytest.approx(7)
    assert retry_after({"retry-after": "3600"}, now) == 3600  # long, but meant: fail fast
    for bad in ("nan", "inf", "-1", "1e400", "1e6", "later", ""):
        assert retry_after({"retry-after": bad}, now) is None, bad


def test_rate_limit_reset_is_a_wait_only_for_a_429_or_an_empty_window():
    from vtrix.http.retry import retry_after

    now = 1_700_000_000.0
    reset = {"x-ratelimit-reset": str(now + 40), "x-ratelimit-remaining": "57"}
    assert retry_after(reset, now, status=429) == pytest.approx(40)
    assert retry_after(reset, now, status=503) is None  # a window's reset says nothing of a 5xx
    assert retry_after({**reset, "x-ratelimit-remaining": "0"}, now, status=503) == pytest.approx(
        40
    )


def test_a_retry_after_beyond_the_budget_fails_fast_naming_the_wait(vtrix, hostile):
    hostile.on("GET", r"/api/v1/tasks/.*", Reply(429, json={}, headers={"Retry-After": "600"}))
    r = vtrix("task", "get", "task-9", "--provider", "modellix", env=env_for(hostile))
    assert r.code == 75 and "retry in 600s" in r.err, r.err
    assert hostile.count("GET") == 1  # asked once, no pointless retries


def test_a_5xx_with_rate_headers_is_retried_on_backoff_not_on_the_reset(vtrix, hostile):
    headers = {"X-RateLimit-Reset": str(int(time.time()) + 50)}
    hostile.on(
        "GET",
        r"/api/v1/tasks/.*",
        Reply(503, json={}, headers={**headers, "X-RateLimit-Remaining": "90"}),
        Reply(json=modellix_task("task-9")),
    )
    r = vtrix("task", "get", "task-9", "--provider", "modellix", env=env_for(hostile))
    assert r.code == 0, r.err
    assert hostile.count("GET") == 2


def test_x_should_retry_is_honoured(vtrix, hostile):
    hostile.on("GET", r"/api/v1/tasks/.*", Reply(503, json={}, headers={"x-should-retry": "false"}))
    r = vtrix("task", "get", "task-9", "--provider", "modellix", env=env_for(hostile))
    assert r.code == 75 and hostile.count("GET") == 1
    hostile.on(
        "GET",
        r"/api/v1/tasks/.*",
        Reply(400, json={"message": "hiccup"}, headers={"x-should-retry": "true"}),
        Reply(json=modellix_task("task-9")),
    )
    r = vtrix("task", "get", "task-9", "--provider", "modellix", env=env_for(hostile))
    assert r.code == 0, r.err


# ----------------------------------------------------------------------- what was sent


def test_tls_failure_is_nothing_sent(vtrix, hostile):
    url = hostile.url.replace("http://", "https://")
    r = vtrix(*RUN, env={"VTRIX_BASE_URL": url, "VTRIX_API_KEY": CANARY})
    assert r.code == 75, r.err
    assert "TLS" in r.err and "nothing was sent" in r.err
    assert hostile.count("POST") == 0


def test_dns_failure_is_named_and_nothing_sent(vtrix):
    r = vtrix(*RUN, env={"VTRIX_BASE_URL": "https://no-such-host.invalid", "VTRIX_API_KEY": CANARY})
    assert r.code == 75, r.err
    assert "could not be resolved" in r.err and "nothing was sent" in r.err
    assert "refused" not in r.err


def test_refused_connection_is_nothing_sent(vtrix):
    r = vtrix(*RUN, env={"VTRIX_BASE_URL": "http://127.0.0.1:9", "VTRIX_API_KEY": CANARY})
    assert r.code == 75 and "connection refused" in r.err and "nothing was sent" in r.err


@pytest.mark.parametrize("key", ["sk-line\nbreak-123456", "sk-ünïcödé-1234567", "sk has space"])
def test_a_key_that_cannot_be_a_header_is_exit_2_and_nothing_sent(vtrix, hostile, key):
    ok_submit(hostile)
    r = vtrix(*RUN, env={"VTRIX_BASE_URL": hostile.url, "VTRIX_API_KEY": key})
    assert r.code == 2, r.err
    assert "the API key from VTRIX_API_KEY" in r.err and "nothing was sent" in r.err
    assert hostile.count("POST") == 0 and key not in r.err


def test_reset_after_sending_is_outcome_unknown_with_the_idempotency_key(vtrix, hostile):
    hostile.on("POST", SUBMIT, Reply(reset=True))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 3, r.err
    assert hostile.count("POST") == 1
    key = hostile.posts()[0].headers["idempotency-key"]
    assert key in r.err and "may or may not" in r.err


def test_submit_5xx_is_unknown_but_x_should_retry_resends_with_the_same_key(vtrix, hostile):
    hostile.on(
        "POST",
        SUBMIT,
        Reply(503, json={}, headers={"x-should-retry": "true"}),
        Reply(json=vtrix_task("task_7", "in_progress")),
    )
    r = vtrix(*RUN, "--no-wait", env=env_for(hostile))
    assert r.code == 0 and r.out.strip() == "task_7"
    keys = {q.headers["idempotency-key"] for q in hostile.received if q.method == "POST"}
    assert hostile.count("POST") == 2 and len(keys) == 1


# -------------------------------------------------------------------- strict answers


def _answer_file(err: str) -> Path:
    return Path(err.split("saved to ", 1)[1].split()[0].rstrip(";"))


@pytest.mark.parametrize(
    "answer,why",
    [
        (vtrix_task("task_OTHER"), "it is about task 'task_OTHER', not 'task_1'"),
        ({"id": "task_1", "status": "completed", "output": 5}, "'output' is not a list"),
        (
            {"id": "task_1", "status": "completed", "output": [{"content": [{"url": 123}]}]},
            "a result URL is not a URL",
        ),
        ({"id": "task_1", "status": "in_progress", "output": [{"content": "x"}]}, "content"),
        ([1, 2, 3], "'answer' is not an object"),
    ],
)
def test_poll_answers_vtrix_cannot_use_are_exit_1_and_kept(vtrix, hostile, home, answer, why):
    ok_submit(hostile)
    hostile.on("GET", TASK, Reply(json=answer))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 1, r.err
    assert why in r.err and "Traceback" not in r.err
    saved = _answer_file(r.err)
    assert saved.exists() and json.loads(saved.read_text()) == answer


def test_an_unknown_status_word_keeps_the_wait_going(vtrix, hostile):
    ok_submit(hostile)
    odd = {"id": "task_1", "status": "rendering", "progress": 50}
    hostile.on("GET", TASK, *[Reply(json=odd)] * 5, Reply(json=vtrix_task()))
    r = vtrix(*RUN, "--poll-interval", "0.1", env=env_for(hostile))
    assert r.code == 0, r.err
    assert hostile.count("GET", TASK) == 6
    assert "rendering" in r.err  # the word is shown while waiting


def test_a_missing_status_ends_the_wait_only_after_a_long_stretch(vtrix, hostile, monkeypatch):
    ok_submit(hostile)
    hostile.on("GET", TASK, Reply(json={"id": "task_1"}))
    r = vtrix(*RUN, "--poll-interval", "0.1", "--timeout", "3", env=env_for(hostile))
    assert r.code == 124, r.err  # missing for 3 s is not yet a "long stretch": the wait runs on
    assert "task wait task_1" in r.err


def test_a_submit_answer_without_an_id_is_unknown_never_a_crash(vtrix, hostile):
    hostile.on("POST", SUBMIT, Reply(json={"status": "in_progress", "output": 5}))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 3, r.err
    assert "no usable task id" in r.err and "task list" in r.err


def test_huge_answers_are_refused_without_reading_them(vtrix, hostile):
    ok_submit(hostile)
    hostile.on("GET", TASK, Reply(json=vtrix_task(), length=300 * 1024 * 1024))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 1 and "300" in r.err and "refused" in r.err


# ----------------------------------------------------------------------- host policy


def _spec_with_endpoint(endpoint: str) -> dict:
    return {
        "status": {"code": 0, "message": "ok"},
        "data": {
            "model_id": "live_model",
            "name": "Live",
            "type": "image",
            "api": {"endpoint": endpoint, "method": "POST"},
            "parameters": [{"name": "prompt", "type": "string", "required": True}],
        },
    }


def test_a_spec_endpoint_on_another_host_is_refused(vtrix, hostile):
    hostile.on(
        "GET",
        "/api/v1/skill/models/live_model/spec",
        Reply(json=_spec_with_endpoint("https://evil.example/steal")),
    )
    env = {"VTRIX_MODELS_URL": hostile.url, "VTRIX_API_KEY": CANARY}
    r = vtrix("run", "live_model", "--param", "prompt=x", env=env)
    assert r.code == 1, r.err
    assert "evil.example" in r.err and "nothing was sent" in r.err
    assert hostile.count("POST") == 0


def test_a_spec_endpoint_supplies_only_a_path(vtrix, hostile):
    hostile.on(
        "GET",
        "/api/v1/skill/models/live_model/spec",
        Reply(json=_spec_with_endpoint("https://evil.example/custom/gen")),
    )
    hostile.on("POST", "/custom/gen", Reply(json=vtrix_task("task_5", "in_progress")))
    r = vtrix("run", "live_model", "--param", "prompt=x", "--no-wait", env=env_for(hostile))
    assert r.code == 0, r.err
    assert hostile.received[-1].path == "/custom/gen"


def test_base_urls_with_user_info_are_refused(vtrix):
    r = vtrix(
        "--debug",
        *RUN,
        env={"VTRIX_BASE_URL": "http://user:s3cret-pw@127.0.0.1:9", "VTRIX_API_KEY": CANARY},
    )
    assert r.code == 2 and "user name or password" in r.err
    assert "s3cret-pw" not in r.out + r.err


# ---------------------------------------------------------------- secrets and terminal


def test_objects_holding_a_key_never_show_it(home):
    client = Client(api_key=CANARY, base_url="http://127.0.0.1:9")
    prepared = client.prepare("kirin_v3_i2v", {"image_url": "https://e.com/u.jpg"})
    prov = client.provider("vtrix")
    for obj in (client, client.settings, prepared, prepared.request, prov.http, prov.settings):
        assert CANARY not in repr(obj) and CANARY not in str(obj), type(obj)


def test_a_key_given_in_argv_gets_a_warning(vtrix, hostile):
    r = vtrix("--api-key", CANARY, "--dry-run", *RUN)
    assert r.code == 0
    assert "--api-key puts the key in your shell history" in r.err
    assert "auth login --with-token" in r.err and CANARY not in r.err + r.out


def test_server_text_cannot_steer_the_terminal(vtrix, hostile):
    evil = "\x1b]0;pwned\x07\x1b[2J rejected \x1b[31mred\x9b1m"
    hostile.on("POST", SUBMIT, Reply(400, json={"message": evil}))
    r = vtrix(*RUN, env=env_for(hostile))
    assert r.code == 1
    assert "rejected" in r.err
    assert "\x1b" not in r.err and "\x07" not in r.err and "\x9b" not in r.err


def test_sdk_errors_are_typed(home, hostile):
    hostile.on("POST", SUBMIT, Reply(reset=True))
    client = Client(api_key=CANARY, base_url=hostile.url)
    with pytest.raises(SubmitOutcomeUnknown) as exc:
        client.submit("kirin_v3_i2v", image_url="https://e.com/u.jpg")
    assert exc.value.idempotency_key
    hostile.on("POST", SUBMIT, Reply(json=vtrix_task("task_2", "in_progress")))
    hostile.on("GET", TASK, Reply(json={"id": "task_2", "status": "completed", "output": 5}))
    with pytest.raises(BadAnswer):
        client.run("kirin_v3_i2v", image_url="https://e.com/u.jpg")
    hostile.on("GET", r"/api/v1/tasks/.*", Reply(503, json={}))
    client.provider("modellix").http.read_budget = 1.0
    with pytest.raises(TemporaryFailure):
        client.get_task("task-3", provider="modellix")
