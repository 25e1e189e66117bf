"""When polls happen (fake clock, mock transport): a task that reports no progress is seen
done soon after it ends, within the request budget, and sooner once the model has a history."""

from __future__ import annotations

import json

import pytest

from vtrix.engine.polling import PollPlan, wait_plan
from vtrix.http import MockTransport, Response
from vtrix.store.config import Settings
from vtrix.wire.modellix.adapter import ModellixProvider


def _waited(task_seconds: float, plan: PollPlan, initial, timeout: float = 3600) -> list[float]:
    """When each poll of a wait came (fake clock, mock transport); the clock ends at the
    wait's end."""
    now = [0.0]
    polls: list[float] = []

    def answer(request):
        polls.append(now[0])
        status = "success" if now[0] >= task_seconds else "processing"
        body = {"code": 0, "data": {"task_id": "task-1", "status": status}}
        return Response(200, {}, json.dumps(body).encode(), request.url)

    prov = ModellixProvider(Settings(), MockTransport(answer, clock=lambda: now[0]))
    prov.http.clock = lambda: now[0]
    prov.http.sleep = lambda d: now.__setitem__(0, now[0] + d)
    prov.http.run(wait_plan(prov, "task-1", timeout=timeout, plan=plan, initial=initial))
    return [*polls, now[0]]


def simulate(task_seconds: float, plan: PollPlan) -> tuple[int, float]:
    """(status requests, seconds between the task's end and the wait's end)."""
    from vtrix.wire.base import TaskState

    times = _waited(task_seconds, plan, TaskState("task-1", "modellix", "queued"))
    return len(times) - 1, times[-1] - task_seconds


@pytest.mark.parametrize("seconds", [1, 3, 7, 30, 120, 600])
def test_cold_waits_end_soon_within_budget(seconds):
    polls, late = simulate(seconds, PollPlan(jitter=0))
    assert polls <= seconds / 2 + 3
    assert late <= max(1.0, 0.55 * seconds) and late <= 10.5


def test_a_3_second_task_cold_and_with_history():
    polls, late = simulate(3, PollPlan(jitter=0))
    assert polls <= 4 and late <= 1.0
    polls, late = simulate(3, PollPlan(jitter=0, expected=3.05))
    assert polls <= 4 and late <= 0.5
    # A task that runs much longer than its model's history still ends within budget.
    polls, late = simulate(30, PollPlan(jitter=0, expected=3.0))
    assert polls <= 30 / 2 + 3 and late <= 15


def test_history_comes_from_the_ledger(tmp_path):
    from vtrix.store.ledger import Ledger

    ledger = Ledger(tmp_path / "l.sqlite3")
    assert ledger.timing("m", "modellix", "t") == (None, 0.0)
    for i, d in enumerate((2.8, 3.2, 3.0)):
        ledger.observe(
            provider="modellix", task_id=f"t{i}", model="m", status="succeeded", final=True
        )
        ledger._db().execute(
            "UPDATE tasks SET created_at = completed_at - ? WHERE task_id = ?", (d, f"t{i}")
        )
    expected, age = ledger.timing("m", "modellix", "t1")
    assert expected == pytest.approx(3.0) and age >= 0


def test_history_is_keyed_by_the_model_as_submitted(tmp_path):
    """Modellix names a task's model without its vendor ("seedream-4.5-t2i"): the history is
    still the one of the slug vtrix submitted."""
    from vtrix.store.ledger import Ledger

    ledger = Ledger(tmp_path / "l.sqlite3")
    slug = "bytedance/seedream-4.5-t2i"
    for i, d in enumerate((2.9, 3.1)):
        ledger.observe(
            provider="modellix", task_id=f"t{i}", model=slug, status="succeeded", final=True
        )
        ledger._db().execute(
            "UPDATE tasks SET created_at = completed_at - ? WHERE task_id = ?", (d, f"t{i}")
        )
    ledger.begin(key="k", provider="modellix", model=slug, digest="d")
    ledger.submitted("k", "t-new", "queued")
    expected, _ = ledger.timing("seedream-4.5-t2i", "modellix", "t-new")
    assert expected == pytest.approx(3.0)


def test_a_wait_records_both_bounds_of_the_end(monkeypatch):
    """The task ended after the last poll that saw it running and by the one that saw it
    done: the wait keeps both (the ledger learns from them, never from a midpoint)."""
    import vtrix.engine.polling

    wall = [1000.0]
    monkeypatch.setattr(vtrix.engine.polling.time, "time", lambda: wall[0])
    answers = iter(["processing", "processing", "success"])

    def answer(request):
        wall[0] += 2.0  # each poll happens two seconds after the one before
        body = {"code": 0, "data": {"task_id": "task-1", "status": next(answers)}}
        return Response(200, {}, json.dumps(body).encode(), request.url)

    from vtrix.wire.base import TaskState

    prov = ModellixProvider(Settings(), MockTransport(answer))
    prov.http.sleep = lambda d: None
    initial = TaskState("task-1", "modellix", "queued")
    state = prov.http.run(wait_plan(prov, "task-1", timeout=60, plan=PollPlan(), initial=initial))
    assert state.done and (state.ran_until, state.finished_at) == (1004.0, 1006.0)


def test_the_typical_end_is_an_upper_bound_pinned_down_by_dense_polls():
    from vtrix.store.queries import typical_end

    assert typical_end([(2.1, 3.15)]) is None  # one task is not a history
    assert typical_end([(2.1, 3.15), (0.0, 3.15)]) == 3.15  # when they were seen done
    # A wait that missed the end and polled densely pins it: the earlier, pinned end wins.
    assert typical_end([(0.0, 4.0), (0.0, 4.2), (2.9, 3.2), (3.0, 3.3)]) == pytest.approx(3.25)
    # A pinned end later than the others' does not delay the first look.
    assert typical_end([(0.0, 3.0), (0.0, 3.1), (3.5, 3.8)]) == 3.1


def _learning(durations: list[float]) -> list[int]:
    """Status requests of each of a series of Modellix waits (look at once after the submit)
    whose schedules learn from the ones before, as the ledger keeps them."""
    from vtrix.store.queries import typical_end
    from vtrix.wire.base import TaskState

    bounds: list[tuple[float, float]] = []
    out = []
    for seconds in durations:
        initial = TaskState("task-1", "modellix", "queued", remote_status="pending")
        plan = PollPlan(jitter=0.1, expected=typical_end(bounds[-20:]))
        times = _waited(seconds, plan, initial)
        polls = times[:-1]
        bounds.append((max([t for t in polls if t < seconds], default=0.0), times[-1]))
        out.append(len(polls))
    return out


def test_a_learned_model_costs_two_status_requests_and_its_schedule_holds():
    """The look at once, then one poll at the learned end: two requests a task, task after
    task (no halving, no inflating, no drift), for a model whose tasks take 3 s."""
    polls = _learning([3.0] * 40)
    assert max(polls[:2]) <= 4  # cold
    assert set(polls[2:]) == {2}


def test_tasks_of_varying_length_keep_a_small_steady_cost():
    """Durations spread ±20%: misses happen, but the schedule neither collapses nor
    explodes (20 tasks once cost anywhere from 20 to 143 requests)."""
    import random

    rng = random.Random(7)
    polls = _learning([rng.uniform(2.4, 3.6) for _ in range(60)])
    assert max(polls[2:]) <= 6 and sum(polls[2:]) / len(polls[2:]) <= 3.5, polls


def _first_poll(task_seconds: float, plan: PollPlan) -> tuple[float, int, float]:
    """(when the first poll came, polls, lateness) of a wait right after a Modellix submit."""
    from vtrix.wire.base import TaskState

    # What a Modellix submit answers: "pending", no progress.
    initial = TaskState("task-1", "modellix", "queued", remote_status="pending")
    times = _waited(task_seconds, plan, initial)
    return times[0], len(times) - 1, times[-1] - task_seconds


@pytest.mark.parametrize("expected", [None, 3.0, 30.0])
def test_the_first_poll_comes_at_once_whatever_the_history(expected):
    """Issue 20: a task that ends at once is seen at once; a learned duration shapes the later
    schedule and never delays the first look."""
    first, polls, late = _first_poll(0.0, PollPlan(jitter=0, expected=expected))
    assert first == 0.0 and polls == 1 and late == 0.0


@pytest.mark.parametrize("expected", [None, 3.0])
def test_a_3_second_task_keeps_its_budget_with_the_look_at_once(expected):
    first, polls, late = _first_poll(3.0, PollPlan(jitter=0, expected=expected))
    assert first == 0.0 and polls <= 4 and late <= 0.5, (polls, late)


def test_a_submit_answer_with_progress_is_news_enough_to_wait_on():
    """The vtrix protocol's submit answer reports progress: no look at once (it would say
    nothing new); the rate estimate starts from it."""
    from vtrix.wire.base import TaskState

    initial = TaskState("task-1", "modellix", "running", progress_raw=10, progress=10.0)
    times = _waited(0.0, PollPlan(jitter=0), initial, timeout=60)
    assert times[0] >= 1.0


def test_a_429_holds_every_request_of_the_client():
    """A 429 with Retry-After holds the whole client, not only the request it answered:
    the next request, whoever sends it, goes out after the hold (fake clock: the order of
    events, never a timing window)."""
    from vtrix.http import Http

    now = [0.0]
    sent: list[tuple[float, str]] = []

    def answer(request):
        sent.append((now[0], request.url))
        if request.url.endswith("/limited") and len(sent) == 1:
            return Response(429, {"retry-after": "1.5"}, b'{"message": "slow down"}', request.url)
        return Response(200, {}, b"{}", request.url)

    http = Http(transport=MockTransport(answer, clock=lambda: now[0]), clock=lambda: now[0])
    http.sleep = lambda d: now.__setitem__(0, now[0] + d)
    http.get_json("https://gw.test/limited", what="a read")  # 429, held, then answered
    held_until = sent[1][0]
    assert held_until >= 1.5
    http.get_json("https://gw.test/other", what="another read")  # after the hold: at once
    assert [u.rsplit("/", 1)[1] for _, u in sent] == ["limited", "limited", "other"]
    assert sent[2][0] == held_until
    # A second client of the same key learns the hold through the shared gate (the ledger):
    # test_teams.py::test_a_429_seen_by_one_process_holds_the_others.


def test_a_hold_delays_a_request_another_thread_sends():
    from vtrix.http import Http

    now = [0.0]
    sent: list[float] = []

    def answer(request):
        sent.append(now[0])
        return Response(200, {}, b"{}", request.url)

    http = Http(transport=MockTransport(answer, clock=lambda: now[0]), clock=lambda: now[0])
    http.sleep = lambda d: now.__setitem__(0, now[0] + d)
    http.hold(1.5)  # what a 429 answering another thread's request did
    http.get_json("https://gw.test/poll", what="a poll")
    assert sent == [1.5]


def _progress_polls(seed: int, task_seconds: float, plan: PollPlan) -> list[float]:
    """When a wait on the vtrix protocol (progress in every answer) polled (fake clock)."""
    import random

    from hostile import vtrix_task

    from vtrix.wire.base import TaskState
    from vtrix.wire.vtrix.adapter import VtrixProvider

    random.seed(seed)
    now, polls = [0.0], []

    def answer(request):
        polls.append(now[0])
        progress = int(now[0] / task_seconds * 100)
        body = (
            vtrix_task("task_1")
            if now[0] >= task_seconds
            else vtrix_task("task_1", "in_progress", progress=progress)
        )
        return Response(200, {}, json.dumps(body).encode(), request.url)

    prov = VtrixProvider(Settings(), MockTransport(answer, clock=lambda: now[0]))
    prov.http.clock = lambda: now[0]
    prov.http.sleep = lambda d: now.__setitem__(0, now[0] + d)
    initial = TaskState("task_1", "vtrix", "running", progress_raw=0, progress=0.0)
    prov.http.run(wait_plan(prov, "task_1", timeout=600, plan=plan, initial=initial))
    return polls


def test_a_task_reporting_progress_with_a_learned_end_is_polled_once_at_it():
    """The vtrix protocol's submit answer reports progress (0 %): with a learned end, the
    first poll is aimed at it, unjittered (jitter would make half the polls early)."""
    for seed in range(5):
        polls = _progress_polls(seed, 3.0, PollPlan(expected=3.15, age=0.05))
        assert polls == [pytest.approx(3.1)], polls
