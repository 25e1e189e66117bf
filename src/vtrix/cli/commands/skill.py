"""``vtrix skill``: a SKILL.md for agents that drive the CLI, rendered from the catalog and
the code's own tables (exit codes, error codes, the task's JSON fields), so it never drifts."""

from __future__ import annotations

from pathlib import Path

import click


def render() -> str:
    """The SKILL.md text."""
    from vtrix import errors
    from vtrix.engine import registry
    from vtrix.task import FIELDS, STATUSES

    typed, known = registry.count()
    codes = sorted(
        {
            (cls.exit_code, cls.code)
            for cls in vars(errors).values()
            if isinstance(cls, type) and issubclass(cls, errors.VtrixError)
        }
    )
    lines = [
        "---",
        "name: vtrix",
        "description: Generate images, video and audio with hosted models (the vtrix and "
        "Modellix gateways) from the command line, paying once per task and never losing "
        "a result.",
        "---",
        "",
        "# vtrix",
        "",
        f"{known} models ({typed} with a published parameter spec). Every command that "
        "prints a result takes `-o json`: stdout is then exactly one JSON object, however the "
        "command ends.",
        "",
        "## Steps",
        "",
        "1. Find a model: `vtrix models list --type video --search WORDS -o json`.",
        "2. Read its parameters: `vtrix models spec MODEL` (`--agent` for its prompt).",
        "3. Check the request, free: `vtrix run MODEL --param k=v --dry-run -o json` "
        "(exit 2 lists every problem, each naming its field).",
        "4. Submit, paid: `vtrix run MODEL --param k=v --no-wait -o json --idempotency-key "
        "KEY` (pick one KEY per intended task: the ledger never sends a key twice).",
        "5. Wait: `vtrix task wait ID -o json --timeout 5m`; look once: `vtrix task get ID "
        "-o json`.",
        "6. Save: `vtrix task get ID --save DIR` (resumes a cut download; never resubmit "
        "to get the files again).",
        "7. Many tasks: `vtrix batch FILE.jsonl --results out.jsonl` (resumable: run it again).",
        "",
        "Never resubmit after exit 3 (outcome unknown): look with `vtrix task list -o json` "
        "first. After exit 124 or 130 the task still runs: `vtrix task wait ID`.",
        "",
        "## The task object",
        "",
        "Fields, in order: " + ", ".join(f"`{f}`" for f in FIELDS) + ".",
        "`status` is one of " + ", ".join(f"`{s}`" for s in STATUSES) + ".",
        "",
        "## Exit codes",
        "",
        "| exit | meaning |",
        "| --- | --- |",
        *(f"| {code} | {text} |" for code, text in errors.EXIT_CODES),
        "",
        "## error.code by exit code",
        "",
        "| exit | codes |",
        "| --- | --- |",
    ]
    by_exit: dict[int, list[str]] = {}
    for exit_code, code in codes:
        by_exit.setdefault(exit_code, []).append(f"`{code}`")
    extra = {1: ["`task_canceled`"], 75: ["`not_sent`"]}
    for exit_code in sorted(by_exit):
        lines.append(
            f"| {exit_code} | {', '.join(by_exit[exit_code] + extra.get(exit_code, []))} |"
        )
    return "\n".join(lines) + "\n"


@click.command()
@click.option(
    "--install",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write DIR/vtrix/SKILL.md instead of printing it.",
)
def skill(directory: Path | None) -> None:
    """Print a SKILL.md for agents that use the vtrix CLI."""
    from vtrix.cli.output import emit

    text = render()
    if directory is None:
        emit(text.rstrip("\n"))
        return
    from vtrix.base.atomic import write_text_atomic
    from vtrix.errors import UsageError

    target = directory / "vtrix" / "SKILL.md"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(target, text)
    except OSError as exc:
        raise UsageError(
            f"cannot write {target}: {exc.strerror or exc}",
            hint="Give a directory you can write to with --install.",
        ) from None
    emit(str(target))
