"""The ledger's contract, run on both backends: SQLite (a file) and PostgreSQL (a real server
the suite starts itself). Two Ledger objects on one database stand for two machines."""

from __future__ import annotations

import threading
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vtrix.errors import AtCapacity, LedgerUnavailable
from vtrix.store import claims
from vtrix.store.ledger import Ledger
from vtrix.store.limits import SharedLimits
from vtrix.store.migrations import SCHEMA_VERSION


def begin(ledger: Ledger, key: str, **extra: object) -> object:
    fields = {"key": key, "provider": "vtrix", "model": "kirin_v3_i2v", "digest": "d"}
    fields.update(extra)
    return ledger.begin(**fields)


def test_a_submit_round_trip(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    assert begin(ledger, "k1", profile="ci", quote="0.30", price_key='{"d": 6}') is None
    ledger.submitted("k1", "task_1", "queued", "PENDING", 1_700_000_000.5, {"id": "task_1"})
    ledger.observe(
        provider="vtrix",
        task_id="task_1",
        model="kirin_v3_i2v",
        status="succeeded",
        urls=["https://cdn.example/1.mp4"],
        cost="0.30",
        final=True,
    )
    ledger.saved("vtrix", "task_1", ["out/1.mp4"], {"out/1.mp4": [10, "ab"]})
    row = ledger.by_task("task_1")
    assert row is not None
    assert (row.key, row.state, row.cost, row.profile) == ("k1", "succeeded", "0.30", "ci")
    assert row.urls == ["https://cdn.example/1.mp4"] and row.files == ["out/1.mp4"]
    assert row.task_created_at == 1_700_000_000.5  # a timestamp keeps its fraction
    assert ledger.by_key("k1") == row
    assert [r.key for r in ledger.recent(10)] == ["k1"]
    assert ledger.costs("kirin_v3_i2v", '{"d": 6}') == ["0.30"]
    assert ledger.durations("kirin_v3_i2v") is not None
    assert [r.key for r in ledger.since(0)] == ["k1"]
    task = row.to_task()
    assert task.id == "task_1" and task.status == "succeeded" and task.idempotency_key == "k1"


def test_a_key_is_sent_once_whichever_machine_asks(ledger_url: str) -> None:
    one, two = Ledger(ledger_url), Ledger(ledger_url)
    assert begin(one, "same") is None
    held = begin(two, "same")  # another machine: the row says someone is sending it
    assert held is not None and held.key == "same"
    one.submitted("same", "task_9", "queued")
    again = begin(two, "same")
    assert again is not None and again.task_id == "task_9"


def test_racing_machines_send_a_key_once(ledger_url: str) -> None:
    ledgers = [Ledger(ledger_url) for _ in range(6)]
    ledgers[0].check()  # the schema exists before the race (the race is the submit's)
    gate = threading.Barrier(len(ledgers))
    sent: list[int] = []

    def go(i: int) -> None:
        gate.wait()
        if begin(ledgers[i], "raced") is None:
            sent.append(i)

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(ledgers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(sent) == 1


def test_the_schema_is_migrated_once_and_a_newer_one_refused(ledger_url: str) -> None:
    ledger = Ledger(ledger_url)
    ledger.check()
    assert ledger.database.schema_version() == SCHEMA_VERSION
    ledger.close()
    again = Ledger(ledger_url)
    again.check()
    assert again.database.schema_version() == SCHEMA_VERSION
    again.database.set_schema_version(SCHEMA_VERSION + 1)
    again.close()
    with pytest.raises(LedgerUnavailable, match="newer vtrix"):
        Ledger(ledger_url).check()


def test_claims_share_a_batch_and_take_over_a_dead_workers_lines(ledger_url: str) -> None:
    a, b = Ledger(ledger_url), Ledger(ledger_url)
    lines = [(n, f"key-{n}") for n in range(1, 6)]
    claims.enrol(a, "B", lines)
    claims.enrol(b, "B", lines)  # the second worker enrols nothing new
    first = claims.claim(a, "B", "wa", lease=0.3)
    second = claims.claim(b, "B", "wb", lease=30)
    assert first is not None and second is not None
    assert first.line != second.line and not first.taken_over
    claims.finish(b, "B", second.line, "wb", "succeeded")
    assert claims.remaining(a, "B")[0] == 4
    # wa dies: its lease runs out and wb takes the line over, knowing it was taken over.
    time.sleep(0.4)
    taken = [claims.claim(b, "B", "wb", lease=30) for _ in range(4)]
    assert any(t is not None and t.line == first.line and t.taken_over for t in taken)
    assert claims.claim(b, "B", "wb", lease=30) is None
    claims.finish(a, "B", first.line, "wa", "succeeded")  # too late: wb holds it now
    assert claims.outcomes(a, "B") == {second.line: "succeeded"}
    for t in taken:
        assert t is not None
        claims.finish(b, "B", t.line, "wb", "failed" if t.line == 5 else "succeeded")
    assert claims.remaining(a, "B") == (0, None)
    by_worker = {p.worker: p for p in claims.progress(a, "B")}
    assert by_worker["wb"].done == 5 and by_worker["wb"].outcomes["failed"] == 1
    assert claims.reopen(a, "B") == 1  # only the line that did not succeed
    assert claims.remaining(a, "B")[0] == 1


def test_a_heartbeat_keeps_a_lease(ledger_url: str) -> None:
    a, b = Ledger(ledger_url), Ledger(ledger_url)
    claims.enrol(a, "H", [(1, "k")])
    assert claims.claim(a, "H", "wa", lease=0.3) is not None
    for _ in range(4):
        time.sleep(0.1)
        claims.heartbeat(a, "H", "wa", lease=0.3)
    assert claims.claim(b, "H", "wb", lease=1) is None
    claims.release(a, "H", "wa")
    got = claims.claim(b, "H", "wb", lease=1)
    assert got is not None and got.taken_over


def opened(url: str) -> Ledger:
    ledger = Ledger(url)
    ledger.check()
    return ledger


def test_a_rate_window_and_a_429_hold_are_shared(ledger_url: str) -> None:
    unopened = SharedLimits(Ledger(ledger_url), "key-a", per_minute=1)
    assert [unopened.wait(), unopened.wait()] == [0.0, 0.0]  # no ledger opened, no gate
    one = SharedLimits(opened(ledger_url), "key-a", per_minute=3)
    two = SharedLimits(opened(ledger_url), "key-a", per_minute=3)
    other = SharedLimits(opened(ledger_url), "key-b", per_minute=3)
    assert [one.wait(), two.wait(), one.wait()] == [0.0, 0.0, 0.0]
    assert 55 < two.wait() <= 60  # the fourth in the minute waits for the next window
    assert other.wait() == 0.0  # another key has its own
    other.hold(5)
    assert 4 < SharedLimits(opened(ledger_url), "key-b", None).wait() <= 5
    # Without a cap a process reads the hold (no write) at most every half second: another
    # process's 429 reaches it that late at most.
    watcher = SharedLimits(opened(ledger_url), "key-c", None)
    assert watcher.wait() == 0.0
    SharedLimits(opened(ledger_url), "key-c", None).hold(3)
    time.sleep(0.6)
    assert 2 < watcher.wait() <= 3


def test_running_tasks_of_a_key_are_capped_for_every_machine(ledger_url: str) -> None:
    one, two = Ledger(ledger_url), Ledger(ledger_url)
    assert begin(one, "r1", key_id="K", max_running=2) is None
    assert begin(two, "r2", key_id="K", max_running=2) is None
    with pytest.raises(AtCapacity, match="limit at once is 2"):
        begin(two, "r3", key_id="K", max_running=2)
    assert two.by_key("r3") is None  # nothing recorded, nothing sent
    assert begin(two, "o1", key_id="OTHER", max_running=2) is None
    one.submitted("r1", "task_r1", "queued")
    one.observe(provider="vtrix", task_id="task_r1", model="m", status="succeeded", final=True)
    assert begin(two, "r3", key_id="K", max_running=2) is None  # one ended: room again


def test_a_postgres_password_is_never_shown(pg_url: str) -> None:
    url = pg_url.replace("postgresql://postgres:@", "postgresql://postgres:hunter2-secret-pw@")
    ledger = Ledger(url)
    ledger.check()
    assert "hunter2-secret-pw" not in repr(ledger) + ledger.where
    assert "***" in ledger.where
    bad = Ledger(url.replace("/postgres?", "/no_such_db?"))
    with pytest.raises(LedgerUnavailable) as caught:
        bad.check()
    text = str(caught.value) + caught.value.message + (caught.value.hint or "")
    assert "hunter2-secret-pw" not in text and "no_such_db" in text


_SAFE = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;="


@settings(max_examples=200, deadline=None)
@given(
    password=st.text(alphabet=_SAFE, min_size=4, max_size=40),
    user=st.text(alphabet="abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12),
    in_query=st.booleans(),
)
def test_a_ledger_urls_password_never_shows(password: str, user: str, in_query: bool) -> None:

    from vtrix.base import secrets

    known = set(secrets._KNOWN)  # the passwords made up here are not left to mask output
    try:
        _check_masked(password, user, in_query)
    finally:
        secrets._KNOWN.intersection_update(known)


def _check_masked(password: str, user: str, in_query: bool) -> None:
    from urllib.parse import quote

    from vtrix.store.postgres import PostgresDatabase, without_password

    secret = quote(password, safe="")
    url = (
        f"postgresql://{user}@db.example:5432/team?sslmode=require&password={secret}"
        if in_query
        else f"postgresql://{user}:{secret}@db.example:5432/team?sslmode=require"
    )
    from urllib.parse import parse_qs, urlsplit

    for shown in (without_password(url), PostgresDatabase(url).where):
        parts = urlsplit(shown)
        query = parse_qs(parts.query)
        assert parts.password in (None, "***") and query.get("password") in (None, ["***"])
        assert parts.username == user and parts.hostname == "db.example"
        assert parts.port == 5432 and query["sslmode"] == ["require"]


def test_a_short_password_does_not_mask_common_words_in_output() -> None:
    from vtrix.base import secrets
    from vtrix.store.postgres import PostgresDatabase

    known = set(secrets._KNOWN)
    try:
        PostgresDatabase("postgresql://u:false@db.example/team")
        assert secrets.redact('{"typed": false}') == '{"typed": false}'
        PostgresDatabase("postgresql://u:a-long-db-password-77@db.example/team")
        assert "a-long-db-password-77" not in secrets.redact("said a-long-db-password-77")
    finally:
        secrets._KNOWN.intersection_update(known)
