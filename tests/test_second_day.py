"""A newcomer's second day: one vocabulary for a task's status, JSON Lines wherever several
objects are printed, did-you-mean and completion for every enum-valued option, money printed
as aligned decimals with correct plurals, and shared-ledger messages that fit the ledger."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conftest import env_for

from vtrix.task import CANCELED, FAILED, QUEUED, RUNNING, SUCCEEDED, UNKNOWN

WORDS = {QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELED, UNKNOWN}
KIRIN = ["run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg"]
SEEDREAM = ["run", "bytedance/seedream-4.5-t2i", "--prompt", "a cat"]

# --------------------------------------------------------------- 4: one vocabulary


def _status_words(err: str) -> list[str]:
    return re.findall(r"^Status:\s+(\S+)", err, re.M)


def test_every_human_view_of_a_task_uses_vtrix_status_words(vtrix: Any, sandbox: Any) -> None:
    env = env_for(sandbox)
    for args in (KIRIN, SEEDREAM):
        r = vtrix(*args, "-o", "url", env=env)
        assert r.code == 0, r.err
        words = _status_words(r.err)
        assert words and set(words) <= WORDS, r.err
        # The gateway's own word follows in brackets (completed, success …).
        assert re.search(r"^Status: \w+ \(\w+\)$", r.err, re.M), r.err
    task_id = vtrix(*SEEDREAM, "--no-wait", env=env).out.strip().splitlines()[-1]
    shown = vtrix("task", "get", task_id, env=env)
    assert shown.code == 0 and _status_words(shown.out)[0] in WORDS, shown.out


def test_the_official_clients_status_words_are_shown_in_vtrix_words_too(
    vtrix: Any, make_sandbox: Any
) -> None:
    """The gateways' official clients imply other words (``alternate``) and words vtrix does
    not know (``unknown``): the human view still leads with one of vtrix's."""
    from vtrix.sandbox.state import Faults

    for words in ("alternate", "unknown"):
        sb = make_sandbox(task_seconds=0.3, faults=Faults(status_words=words))
        for args in (KIRIN, SEEDREAM):
            r = vtrix(*args, "-o", "url", "--timeout", "2", env=env_for(sb))  # unknown: 124
            shown = _status_words(r.err)
            assert shown and set(shown) <= WORDS, (words, r.err)


def test_a_timeout_names_the_last_status_in_vtrix_words(vtrix: Any, make_sandbox: Any) -> None:
    sb = make_sandbox(task_seconds=60)
    r = vtrix(*KIRIN, "--timeout", "1.5", env=env_for(sb))
    assert r.code == 124 and "(last status: running (in_progress))" in r.err, r.err


# ------------------------------------------------------------------ 5: JSON Lines


def test_task_wait_of_several_ids_prints_json_lines(vtrix: Any, sandbox: Any) -> None:
    env = env_for(sandbox)
    ids = [vtrix(*KIRIN, "--no-wait", env=env).out.strip() for _ in range(2)]
    r = vtrix("task", "wait", *ids, "-o", "json", env=env)
    assert r.code == 0, r.err
    docs = [json.loads(line) for line in r.out.splitlines()]  # one object per line
    assert [d["id"] for d in docs] == ids and all(d["status"] == SUCCEEDED for d in docs)


def test_a_batch_with_invalid_lines_prints_their_problems(vtrix: Any, tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        '{"model": "kirin_v3_i2v", "params": {"image_url": "https://e.com/a.jpg"}}\n'
        '{"model": "kirin_v3_i2v", "params": {"image_url": "https://e.com/a.jpg", '
        '"duration": 99}}\n'
    )
    r = vtrix("batch", str(src), "-o", "json", env={"VTRIX_API_KEY": "sk-test-12345678"})
    assert r.code == 2
    doc = json.loads(r.out)
    assert doc["error"]["code"] == "invalid_params"
    assert doc["error"]["problems"][0]["field"] == "line 2"
    assert "duration" in doc["error"]["problems"][0]["message"]
    assert doc["model"] is None and doc["provider"] is None  # not known: null, never ""


# ------------------------------------------------------- 6: words, help, completion


def test_an_unknown_status_gets_a_did_you_mean(vtrix: Any) -> None:
    r = vtrix("task", "list", "--status", "faild")
    assert r.code == 2 and "Did you mean: failed?" in r.err, r.err
    assert vtrix("task", "list", "--status", "FAILED").code == 0


def test_help_shows_a_commands_help(vtrix: Any) -> None:
    r = vtrix("help", "run")
    assert r.code == 0 and "Usage: vtrix run [OPTIONS] MODEL_ID" in r.out, r.out + r.err
    assert "Usage: vtrix task wait" in vtrix("help", "task", "wait").out
    assert "Exit codes:" in vtrix("help", "exit-codes").out
    wrong = vtrix("help", "rnu")
    assert wrong.code == 2 and "Did you mean: run?" in wrong.err


def _complete(vtrix: Any, words: str) -> list[str]:
    parts = words.split(" ")
    r = vtrix(
        env={
            "_VTRIX_COMPLETE": "bash_complete",
            "COMP_WORDS": words,
            "COMP_CWORD": str(len(parts) - 1),
        }
    )
    return [line.split(",", 1)[1] for line in r.out.splitlines() if "," in line]


def test_enum_valued_options_complete(vtrix: Any) -> None:
    assert _complete(vtrix, "vtrix task list --status fa") == ["failed"]
    assert "video" in _complete(vtrix, "vtrix models list --type vi")
    typed = _complete(vtrix, "vtrix mcp --typed kirin_v")
    assert "kirin_v3_i2v" in typed and "kirin_v*" in typed


# ------------------------------------------------------------------------ 7: money


def test_money_is_aligned_decimals_with_plurals(vtrix: Any, sandbox: Any) -> None:
    env = env_for(sandbox)
    for duration in ("3", "5"):  # 0.18 and 0.30
        assert vtrix(*KIRIN, "--duration", duration, "-o", "url", env=env).code == 0
    assert vtrix(*SEEDREAM, "-o", "url", env=env).code == 0  # unpriced: settles 0
    table = vtrix("spend", env=env).out.splitlines()
    head = table[0]
    column = head.index("SETTLED") + len("SETTLED")  # right-aligned under its header
    points = {line[:column].rfind(".") for line in table[1:] if line.strip()}
    assert len(points) == 1, table  # every settled amount's point in one place
    quote = vtrix("quote", "kirin_v3_i2v", "--param", "duration=3", env=env).out
    assert "for 1 task with" in quote and "task(s)" not in quote, quote
    doc = json.loads(vtrix("balance", "-o", "json", env=env).out)
    assert doc["modellix"]["balance"] == "100.0"  # a decimal string, as every cost is


# ------------------------------------------------------------- 8: ledger messages

DOWN = "postgresql://vtrix:wrong-password-123@127.0.0.1:1/vtrix"  # nothing listens there


def test_a_shared_ledger_that_is_down_gets_advice_for_postgresql(vtrix: Any, sandbox: Any):
    env = {**env_for(sandbox), "VTRIX_LEDGER_URL": DOWN}
    sent = vtrix(*KIRIN, env=env)
    assert sent.code == 2 and "nothing was sent" in sent.err
    assert "PostgreSQL server is up" in sent.err and "Free the disk" not in sent.err
    assert "wrong-password-123" not in sent.err and "vtrix:***@127.0.0.1:1" in sent.err
    read = vtrix("task", "list", env=env)
    assert read.code == 2 and "nothing was sent" not in read.err, read.err
    dry = vtrix("--dry-run", *KIRIN, env=env)
    assert "going on without it" not in dry.err and "nothing was sent" not in dry.err
    doctor = vtrix("doctor", "--offline", env=env)
    assert "None tasks" not in doctor.out and "[redacted]" not in doctor.out
    assert "ledger: postgresql://vtrix:***@127.0.0.1:1/vtrix (cannot be used" in doctor.out


def test_every_choice_option_gets_a_did_you_mean(vtrix: Any) -> None:
    for args, near in (
        (["task", "get", "x", "-o", "jsno"], "json"),
        (["spend", "--by", "modle"], "model"),
        (["budget", "set", "b", "5", "--period", "mnth"], "month"),
        (["completion", "bsah"], "bash"),
    ):
        r = vtrix(*args)
        assert r.code == 2 and f"Did you mean: {near}?" in r.err, (args, r.err)
