"""``python -m codegen {seed,fetch,generate,check}``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m codegen")
    sub = parser.add_subparsers(dest="cmd", required=True)
    for name, text in (
        ("generate", "specs/ -> src/vtrix/models/ and docs/models/"),
        ("check", "fail if the generated code is stale"),
    ):
        p = sub.add_parser(name, help=text)
        p.add_argument("--specs", type=Path, default=ROOT / "specs")
        p.add_argument(
            "--root",
            type=Path,
            default=ROOT,
            help="where src/vtrix/models/ and docs/models/ are (default: this repository)",
        )
        p.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    p = sub.add_parser("fetch", help="gateways -> specs/, with a change report")
    p.add_argument("--specs", type=Path, default=ROOT / "specs")
    p.add_argument("--concurrency", type=int, default=8, help="specs fetched at once")
    p.add_argument("--report", type=Path, help="also write the whole change report here")
    p.add_argument(
        "--allow-shrink",
        action="store_true",
        help="accept a catalog that loses more than a tenth of its models",
    )
    p.add_argument(
        "--fal",
        action="append",
        metavar="ENDPOINT",
        help="fetch only this fal endpoint's OpenAPI document into specs/fal/ (repeatable)",
    )
    p = sub.add_parser("seed", help="../shared/catalogs -> specs/")
    p.add_argument("catalogs", type=Path)
    p.add_argument("--specs", type=Path, default=ROOT / "specs")
    args = parser.parse_args(argv)

    from vtrix.spec.clean import SpecError

    try:
        if args.cmd == "generate":
            from codegen.main import generate_command

            return generate_command(args.specs, args.root, args.jobs)
        if args.cmd == "check":
            from codegen.main import check_command

            return check_command(args.specs, args.root)
        if args.cmd == "fetch" and args.fal:
            from codegen.fetch import fetch_fal

            return fetch_fal(args.specs, args.fal)
        if args.cmd == "fetch":
            from codegen.fetch import fetch_command

            return fetch_command(
                args.specs, max(1, min(args.concurrency, 64)), args.report, args.allow_shrink
            )
        from codegen.seed import main as seed_main

        return seed_main(args.catalogs, args.specs)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print("src/vtrix/models/, docs/models/ and specs/ were left as they were.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
