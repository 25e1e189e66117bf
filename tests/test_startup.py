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
    'vtrix.client', 'vtrix.providers', 'logging', 'dataclasses')))
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
