"""``make demo``: the seed page's image-to-video example, end to end, on a local sandbox.

Starts ``vtrix sandbox`` on a free port, shows the spec, the dry-run and the real run with
its progress, saves the MP4 under ./demo-output/, and stops the sandbox.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

PARAMS = [
    "--param",
    "image_url=https://example.com/landscape.jpg",
    "--param",
    "prompt=gentle wind, grass swaying slowly",
    "--param",
    "duration=6",
    "--param",
    "resolution=1080p",
]


def vtrix(*args: str, env: dict[str, str]) -> int:
    shown = " ".join(a if " " not in a and "," not in a else repr(a) for a in args)
    print(f"\n$ vtrix {shown}", flush=True)
    return subprocess.call([sys.executable, "-m", "vtrix", *args], env=env)


def main() -> int:
    out_dir = Path("demo-output").resolve()
    home = tempfile.mkdtemp(prefix="vtrix-demo-")
    base_env = {
        **os.environ,
        "VTRIX_CONFIG_DIR": f"{home}/config",
        "VTRIX_DATA_DIR": f"{home}/data",
        "VTRIX_CACHE_DIR": f"{home}/cache",
    }
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "vtrix", "sandbox", "--port", "0", "--task-seconds", "5"],
        stdout=subprocess.PIPE,
        text=True,
        env=base_env,
    )
    try:
        assert sandbox.stdout is not None
        url = sandbox.stdout.readline().strip()
        if not url.startswith("http"):
            print("the sandbox did not start", file=sys.stderr)
            return 1
        env = {
            **base_env,
            "VTRIX_BASE_URL": url,
            "MODELLIX_BASE_URL": url,
            "VTRIX_API_KEY": "sk-demo-sandbox-key",
        }
        print(f"Sandbox gateway running at {url} (both protocols).")
        steps = [
            ("models", "spec", "kirin_v3_i2v"),
            ("--dry-run", "run", "kirin_v3_i2v", *PARAMS),
            ("run", "kirin_v3_i2v", *PARAMS, "--save", str(out_dir)),
        ]
        for step in steps:
            code = vtrix(*step, env=env)
            if code != 0:
                return code
        videos = sorted(out_dir.glob("*.mp4"), key=lambda p: p.stat().st_mtime)
        if not videos:
            print("no video was saved", file=sys.stderr)
            return 1
        size = videos[-1].stat().st_size
        print(f"\nSaved a playable H.264 MP4: {videos[-1]} ({size:,} bytes)")
        return 0
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)
        print("Sandbox stopped.")


if __name__ == "__main__":
    sys.exit(main())
