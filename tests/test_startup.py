"""Help stays light: no requests, no pydantic, no model module beyond the one asked for."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

PROBE = """
import sys, runpy
sys.argv = ['vtrix'] + {args!r}
try:
    from vtrix.cli.main import main
    main()
except SystemExit:
    pass
import json
mods = sorted(m for m in sys.modules if m.startswith(('requests', 'pydantic', 'vtrix.models',
    'vtrix.client', 'vtrix.wire.adapters', 'logging', 'dataclasses')))
sys.stderr.write('\\n@@' + json.dumps(mods))
"""


@pytest.mark.parametrize(
    "args,allowed",
    [
        (["--help"], set()),
        (["run", "--help"], {"vtrix.models"}),
        (["run", "kirin_v3_i2v", "--help"], {"vtrix.models"}),
    ],
)
def test_help_imports_nothing_heavy(args, allowed, home):
    """Help reads data files only: no HTTP library, no pydantic, no model module."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(args=args)], capture_output=True, text=True
    )
    mods = set(json.loads(proc.stderr.rsplit("@@", 1)[1]))
    assert mods <= allowed | {"vtrix.models"}, mods
    assert "Usage:" in proc.stdout


LOADS = """
import sys
sys.argv = ['vtrix'] + {args!r}
try:
    from vtrix.cli.main import main
    main()
except SystemExit:
    pass
import json
sys.stderr.write('\\n@@' + json.dumps(sorted(m for m in sys.modules if m.startswith('vtrix')
    or m in ('asyncio', 'sqlite3', 'email', 'logging', 'uuid', 'multiprocessing'))))
"""


def _loaded(args: list[str], env: dict[str, str]) -> set[str]:
    import os

    proc = subprocess.run(
        [sys.executable, "-c", LOADS.format(args=args)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
    )
    return set(json.loads(proc.stderr.rsplit("@@", 1)[1]))


@pytest.mark.parametrize(
    "args",
    [
        ["run", "kirin_v3_i2v", "--image-url", "https://example.com/a.jpg", "-o", "json"],
        ["task", "get", "TASK", "-o", "json"],
        ["model", "invoke", "--model-slug", "bytedance/seedream-4.5-t2i", "--body", "{}"],
    ],
    ids=["run", "task-get", "model-invoke"],
)
def test_network_commands_load_only_what_they_use(args, sandbox, home):
    """Issue 20: download only with --save, uploads only with @FILE, asyncio only for async,
    no batch machinery, sandbox or other commands; the list shows a regression."""
    from conftest import env_for

    from vtrix import Client
    from vtrix.store.config import Settings

    env = env_for(sandbox)
    if "TASK" in args:
        client = Client(settings=Settings.resolve(env=env))
        task = client.submit("kirin_v3_i2v", image_url="https://example.com/a.jpg")
        args = [task.id if a == "TASK" else a for a in args]
    mods = _loaded(args, env)
    assert "vtrix.client" in mods  # it did run
    forbidden = {
        "vtrix.files.download",
        "vtrix.batch.run",
        "vtrix.batch.input",
        "vtrix.sandbox",
        "vtrix.cli.commands.batch",
        "vtrix.cli.commands.doctor",
        "vtrix.cli.run_doctor",
        "vtrix.cli.run_batch",
        "vtrix.cli.commands.sandbox",
        "asyncio",
        "multiprocessing",
    }
    assert not (mods & forbidden), sorted(mods & forbidden)
    if "task" in args:
        assert "vtrix.spec.validate" not in mods and "pydantic" not in mods


@pytest.mark.parametrize(
    "env",
    [{}, {"XDG_DATA_HOME": "/tmp/xd", "XDG_CONFIG_HOME": "/tmp/xc"}, {"XDG_CACHE_HOME": "  "}],
)
def test_the_fast_path_dirs_are_what_platformdirs_says(env, monkeypatch):
    """vtrix computes the XDG dirs itself on Linux (platformdirs costs ~20 ms to import);
    they must be exactly platformdirs' answer."""
    import platformdirs

    from vtrix.base import dirs as config

    for name in ("VTRIX_CONFIG_DIR", "VTRIX_DATA_DIR", "VTRIX_CACHE_DIR", *env):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert str(config.config_dir()) == platformdirs.user_config_dir("vtrix", appauthor=False)
    assert str(config.data_dir()) == platformdirs.user_data_dir("vtrix", appauthor=False)
    assert str(config.cache_dir()) == platformdirs.user_cache_dir("vtrix", appauthor=False)
