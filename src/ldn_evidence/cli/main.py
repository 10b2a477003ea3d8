"""The ``ldn-evidence`` group: global options, and the one place where errors become messages.

Errors a user can fix (a broken studies file, a bad option, a request the review cannot answer)
print one clear message to stderr and exit with status 2; Ctrl-C exits with 130 and a closed
pipe with 141, quietly; anything else is a failure of ours (status 1). No traceback reaches the
user unless ``--debug`` is given.

When a command has finished, :func:`run` calls :func:`gc.freeze`: the interpreter's last garbage
collections at exit would otherwise walk and free every object the command made (about 100,000:
matplotlib's, pydantic's, the review's), 0.2-0.3 s of a one-second ``ldn-evidence forest``
(measured with py-spy: ``gc_collect_main`` during finalization). Frozen objects are left to the
operating system. Unlike ``os._exit`` this skips nothing else: atexit handlers run, buffered
output is flushed, files and locks are closed as before (they are released by reference
counting and context managers, not by the cyclic collector).
"""
from __future__ import annotations

import gc
import os
import sys

import click

from .._version import __version__
from ..errors import LivingError, ReviewError, StudiesFileError
from ._options import EXIT_BROKEN_PIPE, EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_USAGE, UserError

__all__ = ["main", "run", "MAX_PROBLEMS_SHOWN"]

#: a broken file prints at most this many problems, then how many more there are
MAX_PROBLEMS_SHOWN = 50
#: a message is cut to this many characters (a huge value must not flood the terminal)
MAX_MESSAGE_CHARS = 400


def _short(text: str) -> str:
    """A message cut to MAX_MESSAGE_CHARS in the middle: the place (at the start) and the advice
    (at the end) stay; a huge quoted value in between does not flood the terminal."""
    text = str(text)
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    tail = MAX_MESSAGE_CHARS // 3
    return text[: MAX_MESSAGE_CHARS - tail - 5] + " ... " + text[-tail:]


class _Group(click.Group):
    """Turns expected errors into a message and an exit status instead of a traceback, and lists
    each command with its whole one-line description."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list: each command's first docstring sentence, whole. Click cuts it to fit
        one line of the terminal (ending in "..."); here it wraps instead."""
        rows = []
        for name in self.list_commands(ctx):
            cmd = self.get_command(ctx, name)
            if cmd is not None and not cmd.hidden:
                rows.append((name, cmd.short_help or cmd.get_short_help_str(limit=10_000)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        debug = bool(ctx.params.get("debug"))
        try:
            return super().invoke(ctx)
        except StudiesFileError as exc:
            if debug:
                raise
            for problem in exc.problems[:MAX_PROBLEMS_SHOWN]:
                click.echo(f"error: {_short(problem)}", err=True)
            n = len(exc.problems)
            if n > MAX_PROBLEMS_SHOWN:
                click.echo(f"... and {n - MAX_PROBLEMS_SHOWN} more.", err=True)
            if n > 1:
                click.echo(f"{n} problems found.", err=True)
            ctx.exit(EXIT_USAGE)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            if debug:
                raise
            click.echo("interrupted", err=True)
            ctx.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:
            # the reader went away (`ldn-evidence studies | head -1`): not an error of ours. Stop
            # quietly, as a Unix tool killed by SIGPIPE would, and point stdout at /dev/null so
            # that the final flush cannot fail again.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(EXIT_BROKEN_PIPE)
        except (UserError, ReviewError, LivingError) as exc:
            if debug:
                raise
            click.echo(f"error: {_short(exc)}", err=True)
            ctx.exit(EXIT_USAGE)
        except Exception as exc:  # noqa: BLE001 - the last line of defence for users
            if debug:
                raise
            click.echo(f"error: {type(exc).__name__}: {_short(exc)}", err=True)
            click.echo("(run with --debug for the full traceback)", err=True)
            ctx.exit(EXIT_FAILURE)


@click.group(cls=_Group, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--studies", "studies_path", default=None, metavar="PATH",
              envvar="LDN_EVIDENCE_STUDIES", show_envvar=True,
              help="The review to use: its studies file, a folder holding studies.yaml (what `init` writes), or "
                   "a bundled review's name (bcg) [default: the bundled LDN review].")
@click.option("--debug", is_flag=True, help="Show full tracebacks on errors.")
@click.version_option(__version__, prog_name="ldn-evidence")
@click.pass_context
def main(ctx: click.Context, studies_path: str | None, debug: bool) -> None:
    """Living systematic reviews: sourced study records, design-aware effect sizes, random-effects
    meta-analysis that agrees with metafor, forest plots, sensitivity analyses. The bundled review
    is low-dose naltrexone (LDN) for fibromyalgia; `init` starts a review of your own, and every
    command works on any review (its outcomes, arms and labels come from its protocol).

    \b
    Examples:
      ldn-evidence forest                       # forest plot of pain (SMD), by design -> forest-pain.png
      ldn-evidence forest --outcome fiq -o fiq.svg
      ldn-evidence summary --format json        # pooled results per subgroup and overall
      ldn-evidence studies                      # the encoded studies, one line each (with their ids)
      ldn-evidence validate my-studies.yaml     # check a studies file (exit 2 if broken)
      ldn-evidence --studies my.yaml forest     # another review (or set LDN_EVIDENCE_STUDIES)
      ldn-evidence init my-review               # start a review of your own
      ldn-evidence --studies bcg summary        # the bundled BCG vaccine trials (Colditz 1994)
    """
    ctx.ensure_object(dict)
    ctx.obj["studies_path"] = studies_path
    ctx.obj["debug"] = debug
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def run() -> None:
    """The ``ldn-evidence`` console script (its objects frozen for the exit; see the module)."""
    try:
        main()
    except KeyboardInterrupt:  # before a command started (e.g. while importing)
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    finally:
        gc.freeze()
