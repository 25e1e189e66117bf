"""Golden record: three curated specs (a nested object, an array of objects, a Modellix
schema with enums and ranges) and the exact files the generator must write for them.

After an intended change to the generator, review the diff of:
    python -m codegen generate --specs tests/golden/specs --root tests/golden/expected
"""

from __future__ import annotations

from pathlib import Path

from codegen.generate import OUTPUT_DIRS, generate_tree
from codegen.specfiles import read_tree

GOLDEN = Path(__file__).resolve().parent / "golden"
MANIFEST = "src/vtrix/models/_manifest.json"


def test_generated_files_match_the_golden_record():
    files, lock = generate_tree(GOLDEN / "specs", update_lock=False)
    files.pop(MANIFEST, None)  # hashes of the generator's own code: not part of the record
    expected = {
        f"{d}/{p}": t for d in OUTPUT_DIRS for p, t in read_tree(GOLDEN / "expected" / d).items()
    }
    assert sorted(files) == sorted(expected)
    for path, text in files.items():
        assert text == expected[path], f"{path} differs from the golden record"
    assert set(lock) == {
        "kirin_v2_6_i2v",
        "spark_dance_v2_0",
        "bytedance/seedream-4.5-t2i",
        "replicate:acme/painter",  # a Cog schema: its secret input typed as a plain string
        "wavespeed:acme/clip-i2v",  # a catalog row: its conditional rule left to the gateway
    }
