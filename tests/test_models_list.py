"""`vtrix models list`: each gateway live when it can be, the generated index for the one that
cannot (and with --offline), which models have typed options, and a table that fits."""

from __future__ import annotations

import json

from conftest import env_for


def test_offline_lists_the_generated_index_without_network(vtrix, hostile):
    env = {"VTRIX_BASE_URL": hostile.url, "MODELLIX_BASE_URL": hostile.url, "MODELLIX_API_KEY": "k"}
    r = vtrix("models", "list", "--offline", "-o", "json", env=env)
    assert r.code == 0 and hostile.received == []
    rows = json.loads(r.out)
    assert len(rows) == 305 and {row["source"] for row in rows} == {"generated index"}
    typed = {row["id"] for row in rows if row["typed"]}
    assert len(typed) == 94 and "kirin_v3_i2v" in typed and "alibaba/ai-try-on" not in typed


def test_typed_keeps_models_with_typed_options(vtrix):
    r = vtrix("models", "list", "--offline", "--typed", "--provider", "modellix", "-o", "id")
    ids = r.out.split()
    assert len(ids) == 76 and "bytedance/seedream-4.5-t2i" in ids


def test_each_gateway_falls_back_alone(vtrix, sandbox):
    """vtrix answers live; Modellix has no key here, so its part comes from the index."""
    r = vtrix("models", "list", "-o", "json", env=env_for(sandbox, key=None))
    assert r.code == 0
    assert "Modellix: no Modellix key (vtrix auth login --provider modellix)" in r.err
    rows = json.loads(r.out)
    sources = {(row["provider"], row["source"]) for row in rows}
    assert sources == {("vtrix", "live"), ("modellix", "generated index")}


def test_unreachable_gateway_is_named_and_the_index_shown(vtrix):
    env = {"VTRIX_BASE_URL": "http://127.0.0.1:9", "MODELLIX_API_KEY": "k"}
    r = vtrix("models", "list", "--provider", "vtrix", env=env)
    assert r.code == 0 and "vtrix: catalog not reachable" in r.err
    lines = r.out.splitlines()
    assert lines[0].split() == ["MODEL", "PROVIDER", "TYPE", "TYPED", "SUMMARY"]
    assert any(line.startswith("kirin_v3_i2v") and " yes " in line for line in lines)


def test_table_fits_the_terminal(vtrix, monkeypatch):
    """Through a pseudo-terminal of 60 columns every line is cut to fit; piped, it is whole."""
    import os
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    env = {**os.environ, "COLUMNS": "60", "LINES": "20"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "vtrix", "models", "list", "--offline", "--search", "seedream"],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    proc.wait()
    lines = [line for line in out.decode().splitlines() if line.strip()]
    assert lines and all(len(line) <= 60 for line in lines)
    assert any(line.endswith("…") for line in lines)
    piped = vtrix("models", "list", "--offline", "--search", "seedream").out.splitlines()
    assert max(len(line) for line in piped) > 60
