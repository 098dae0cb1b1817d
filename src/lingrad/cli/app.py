"""The typer application, its shared error handling, command registration and ``main``.

Every command is registered with :func:`command` (not ``@app.command``): it
adds the shared error handling, so every lingrad, ``ValueError``, ``OSError``
or missing-extra ``ImportError`` becomes one line ``Error: <message>`` on
stderr and exit status 1, and every warning one line ``Warning: <message>``
(worded by :func:`lingrad.cli.render.message_text`). Usage errors stay
typer's (exit status 2).

typer and rich are an optional extra: without them ``app`` is None and
:func:`main` prints how to install it.
"""

from __future__ import annotations

import functools
import inspect
import signal
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypeVar

from lingrad import __version__

from .progress import progress_display
from .render import message_text

try:
    import typer
except ImportError:  # pragma: no cover - exercised only without the extra
    typer = None

__all__ = ["INSTALL_HINT", "app", "command", "examples", "handle_errors", "main"]

INSTALL_HINT = (
    "lingrad's command line needs typer and rich: pip install typer rich "
    '(or, in lingrad\'s clone, pip install -e ".[cli]")'
)
F = TypeVar("F", bound=Callable[..., Any])
if typer is not None:
    QuietOpt = Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="No progress bars (they are drawn on stderr, on a terminal)."
        ),
    ]


def _version_callback(value: bool) -> None:
    if value:
        print(f"lingrad {__version__}")
        raise typer.Exit()


def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            help="Print lingrad's version and exit.",
            callback=_version_callback,
            is_eager=True,
        ),
    ] = False,
) -> None:
    """lingrad: linear regression trained by gradient descent, from first principles on NumPy."""


if typer is not None:
    from typer.core import TyperArgument, TyperCommand, TyperGroup

    def _plain(params: list[Any]) -> list[Any]:
        """Arguments named in capitals (DATA), flags without a type (``--json``)."""
        for param in params:
            if isinstance(param, TyperArgument) and param.metavar is None:
                param.metavar = (param.name or "").upper()
            elif getattr(param, "is_flag", False) and param.metavar is None:
                param.metavar = ""
        return params

    class LingradGroup(TyperGroup):
        """The root command: its flags (``--version``, ``--install-completion``) untyped."""

        def get_params(self, ctx: Any) -> list[Any]:
            return _plain(super().get_params(ctx))

    class LingradCommand(TyperCommand):
        """typer's command, with help in the usual convention: ``Usage: lingrad fit
        [OPTIONS] DATA``, and no type after a plain flag (``--json``, not ``--json <bool>``)."""

        def get_params(self, ctx: Any) -> list[Any]:
            return _plain(super().get_params(ctx))

        def collect_usage_pieces(self, ctx: Any) -> list[str]:
            pieces = [self.options_metavar] if self.options_metavar else []
            for param in self.get_params(ctx):
                if isinstance(param, TyperArgument):
                    name = param.display_name_raw + ("..." if param.nargs != 1 else "")
                    pieces.append(name if param.required else f"[{name}]")
            return pieces
else:  # pragma: no cover
    LingradCommand = LingradGroup = None


if typer is not None:
    app = typer.Typer(
        name="lingrad",
        help=_root.__doc__,
        no_args_is_help=True,
        pretty_exceptions_show_locals=False,
        cls=LingradGroup,
    )
    app.callback()(_root)
else:  # pragma: no cover
    app = None


def handle_errors(fn: F) -> F:
    """Run a command; errors and warnings become one line each on stderr."""

    @functools.wraps(fn)
    def wrapper(*args: Any, quiet: bool = False, **kwargs: Any) -> Any:
        def show(message, category, filename, lineno, file=None, line=None) -> None:
            print(f"Warning: {message_text(message)}", file=sys.stderr)

        with warnings.catch_warnings(), progress_display(quiet):
            warnings.showwarning = show
            try:
                return fn(*args, **kwargs)
            except (ValueError, OSError, ImportError) as err:
                # DivergenceError, NotFittedError, DataFileError and ModelFileError are
                # ValueErrors; pyarrow's ArrowInvalid is a ValueError, ArrowIOError an OSError.
                print(f"Error: {message_text(err)}", file=sys.stderr)
                raise typer.Exit(1) from None

    sig = inspect.signature(fn, eval_str=True)
    if "quiet" not in sig.parameters:  # every command takes --quiet (no progress bars)
        quiet = inspect.Parameter("quiet", inspect.Parameter.KEYWORD_ONLY, default=False,
                                  annotation=QuietOpt)  # fmt: skip
        wrapper.__signature__ = sig.replace(parameters=[*sig.parameters.values(), quiet])
    return wrapper  # type: ignore[return-value]


def command(fn: F | None = None, *, name: str | None = None, epilog: str | None = None) -> Any:
    """Register ``fn`` as a subcommand, with the shared error handling.

    Use as ``@command`` or ``@command(name="...", epilog="Examples: ...")``; the
    docstring is the help (its first line is the summary in ``lingrad --help``)
    and ``epilog`` is printed after the options.
    """

    def register(f: F) -> F:
        if app is not None:
            app.command(
                name=name or f.__name__.replace("_", "-"), epilog=epilog, cls=LingradCommand
            )(handle_errors(f))
        return f

    return register(fn) if fn is not None else register


def examples(*lines: str) -> str:
    """An epilog: "Examples:" and one indented command per paragraph."""
    return "Examples:\n\n" + "\n\n".join(f"  {line}" for line in lines)


def main(argv: Sequence[str] | None = None) -> None:
    """Entry point of the ``lingrad`` script (and ``python -m lingrad``)."""
    if app is None:
        print(INSTALL_HINT, file=sys.stderr)
        raise SystemExit(1)
    previous = signal.signal(signal.SIGTERM, _terminated)
    try:
        app(args=list(argv) if argv is not None else None, prog_name="lingrad")
    finally:
        signal.signal(signal.SIGTERM, previous)


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM (``timeout``, container stops, schedulers) unwinds like Ctrl-C: every
    atomic output removes its temporary file, then the exit status is 128 + 15."""
    raise SystemExit(128 + signum)
