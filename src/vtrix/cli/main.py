"""The root ``vtrix`` command and the entry point that maps errors to exit codes."""

from __future__ import annotations

import sys
from typing import Any

import click

from vtrix._version import __version__
from vtrix.cli import signals
from vtrix.cli.context import Globals
from vtrix.cli.io import IO, IO_KEY, io_of
from vtrix.cli.lazy import COMMANDS, LazyGroup
from vtrix.errors import USAGE, Interrupted, VtrixError, exit_code_table

EPILOG = (
    "\b\nExit codes:\n"
    + exit_code_table()
    + (
        "\n\nKeys: --api-key > VTRIX_API_KEY / MODELLIX_API_KEY > `vtrix auth login` profile.\n"
        "URLs: VTRIX_BASE_URL, VTRIX_MODELS_URL, VTRIX_GENERATION_URL, MODELLIX_BASE_URL."
    )
)


def terminal_width() -> int:
    """The terminal's width, without click's shutil import (a few ms of every --help)."""
    import os

    from vtrix.base.constants import env

    try:
        columns = int(env("COLUMNS") or "0") or os.get_terminal_size(1).columns
    except (OSError, ValueError):
        columns = 80
    return max(min(columns, 100) - 2, 50)


class RootGroup(LazyGroup):
    """The root command: typed errors become their exit codes, with no traceback (also under
    click's test runner, which calls ``main`` too)."""

    def main(  # type: ignore[override]
        self, args: list[str] | None = None, prog_name: str | None = None, **extra: Any
    ) -> Any:
        extra.pop("standalone_mode", None)
        signals.SIGNALLED.clear()
        io = IO()  # this command's: how it ends is read from here, below
        try:
            super().main(args=args, prog_name="vtrix", standalone_mode=False, io=io, **extra)
        except VtrixError as exc:
            from vtrix.cli import ending

            ending.print_error(io, exc)
            _report(io, exc)
            sys.exit(signals.exit_code() if isinstance(exc, Interrupted) else exc.exit_code)
        except (click.exceptions.Abort, KeyboardInterrupt) as exc:
            from vtrix.cli import ending

            ending.print_interrupted(io, "interrupted")
            print(
                "Aborted." if isinstance(exc, click.exceptions.Abort) else "Interrupted.",
                file=sys.stderr,
            )
            sys.exit(signals.exit_code())
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            from vtrix.base.secrets import redact

            exc.message = redact(exc.message)  # type: ignore[misc]
            from vtrix.cli import ending

            ending.print_usage_error(io, exc.message, _args(args), _field_of(exc))
            exc.show()
            sys.exit(USAGE if exc.exit_code == 2 else exc.exit_code)
        except BrokenPipeError:
            sys.exit(1)
        finally:
            signals.restore()
            if "vtrix.base.log" in sys.modules:  # --debug lasts one command, not a process
                sys.modules["vtrix.base.log"].disable_debug()
        sys.exit(0)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """The root context, carrying the command's :class:`IO` (``io``, from :meth:`main`)."""
        io = extra.pop("io", None) or IO()
        ctx = super().make_context(info_name, args, parent, **extra)
        ctx.meta[IO_KEY] = io
        return ctx


def _args(args: list[str] | None) -> list[str]:
    return list(args) if args is not None else sys.argv[1:]


def _field_of(exc: click.ClickException) -> str | None:
    """The model parameter a refused option value belongs to (its wire name), if any."""
    param = getattr(exc, "param", None)
    if not isinstance(exc, click.BadParameter) or param is None:
        return None
    wire = getattr(param, "vtrix_wire_name", None)
    return str(wire) if wire else None


@click.group(
    cls=RootGroup,
    lazy=COMMANDS,
    epilog=EPILOG,
    context_settings={
        "help_option_names": ["-h", "--help"],
        "max_content_width": 100,
        "terminal_width": terminal_width(),
    },
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Print requests that would be sent; send nothing (no key needed).",
)
@click.option("--debug", is_flag=True, help="Show HTTP requests on stderr (key redacted).")
@click.option("-q", "--quiet", is_flag=True, help="No progress or status on stderr.")
@click.option("--api-key", metavar="KEY", help="API key (overrides env and profile).")
@click.option(
    "--profile", metavar="NAME", envvar="VTRIX_PROFILE", help="Config profile [env VTRIX_PROFILE]."
)
@click.option(
    "--base-url",
    metavar="URL",
    help="Send every request to this gateway (e.g. a local `vtrix sandbox`).",
)
@click.option(
    "--proxy",
    metavar="URL",
    help="Send requests through this proxy (else HTTPS_PROXY/NO_PROXY; loopback goes direct).",
)
@click.version_option(__version__, "--version", prog_name="vtrix")
@click.pass_context
def cli(
    ctx: click.Context,
    dry_run: bool,
    debug: bool,
    quiet: bool,
    api_key: str | None,
    profile: str | None,
    base_url: str | None,
    proxy: str | None,
) -> None:
    """vtrix: run image, video and audio models on the vtrix and Modellix gateways."""
    if debug:
        from vtrix.base.log import enable_debug

        enable_debug()
    ctx.obj = Globals(
        dry_run=dry_run,
        debug=debug,
        quiet=quiet,
        api_key=api_key,
        profile=profile,
        base_url=base_url,
        proxy=proxy,
    )
    io_of(ctx).quiet = quiet  # a command's own --quiet may add to it
    if api_key:
        from vtrix.cli.context import note_key_in_argv

        note_key_in_argv(ctx, api_key)


def main(argv: list[str] | None = None) -> Any:
    """The ``vtrix`` command."""
    return cli.main(args=argv)


def _report(io: IO, exc: VtrixError) -> None:
    r = io.reporter(quiet=False)
    r.error(exc.message)
    if exc.hint:
        r.line(exc.hint)
