"""The `news-monitor` command line: parse arguments, call the app, print. No pipeline logic here.

A command module imports at its top only what building the parser needs; each command imports
the config, the store or the pipeline when it runs, so `--help` and `check` start at once
(tests/test_startup.py, bench/startup.py).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from monitor import __version__
from monitor.cli import daemon, data, digests, leads, sources, state, web
from monitor.errors import ConfigError, MonitorError
from monitor.redact import install_filter

COMMAND_MODULES = (sources, leads, daemon, data, digests, state, web)

EXIT_BROKEN_PIPE = 141  # 128 + SIGPIPE: what a shell reports for `cat` whose reader went away


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="news-monitor",
        description="Watch news feeds and pages; send calm digests of new coverage.",
    )
    parser.add_argument("--version", action="version", version=f"news-monitor {__version__}")
    add_global_options(parser, config=None, verbose=False, json=False)
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=CommandParser
    )
    for module in COMMAND_MODULES:
        module.register(sub)
    return parser


def add_global_options(parser: argparse.ArgumentParser, **defaults: Any) -> None:
    """--config, -v and --json, before the command (real defaults) or after it (SUPPRESS)."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        default=defaults["config"],
        help="config file (default: $MONITOR_CONFIG or config/feeds.yaml)",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=defaults["verbose"],
        help="debug logs and tracebacks",
    )
    parser.add_argument(
        "--json", action="store_true", default=defaults["json"], help="machine-readable output"
    )


class CommandParser(argparse.ArgumentParser):
    """A command's parser (and its actions'): it takes the global options after the command too.

    Their default is SUPPRESS, so an option the command line does not repeat after the command
    keeps the value given before it; one given in both places takes the later value.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        add_global_options(
            self, config=argparse.SUPPRESS, verbose=argparse.SUPPRESS, json=argparse.SUPPRESS
        )


def setup_logging(verbose: bool, level: str = "INFO") -> None:
    under_journal = bool(os.environ.get("JOURNAL_STREAM"))
    fmt = (
        "%(levelname)s %(name)s: %(message)s"
        if under_journal
        else ("%(asctime)s %(levelname)s %(name)s: %(message)s")
    )
    logging.basicConfig(
        level=logging.DEBUG if verbose else getattr(logging, level, logging.INFO),
        format=fmt,
        stream=sys.stderr,
        force=True,
    )
    install_filter(logging.getLogger())  # no secret in a log line, at any level
    for noisy in (
        "httpx",
        "httpcore",
        "hpack",
        "trafilatura",
        "htmldate",
        "apscheduler",
        "charset_normalizer",
        "alembic",
        "procrastinate",  # a line per job; its errors still show
    ):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # "skipped: maximum number of running instances" is the intended coalescing of a slow tick
    logging.getLogger("apscheduler.scheduler").setLevel(logging.DEBUG if verbose else logging.ERROR)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # --help and usage errors end here, before the config loads
    from monitor.cli.context import Context

    setup_logging(args.verbose, "WARNING")
    ctx = Context(args, dict(os.environ))
    try:
        result: int = args.handler(args, ctx)
        sys.stdout.flush()  # a closed pipe raises here, not in the interpreter's final flush
        return result
    except ConfigError as exc:
        for problem in exc.problems:
            print(str(problem), file=sys.stderr)
        print(
            f"error: {len(exc.problems)} problem(s) in the config; fix them and run `news-monitor check`",
            file=sys.stderr,
        )
        return 1
    except MonitorError as exc:
        if args.verbose:
            logging.getLogger("monitor").exception("failed")
        print(f"error: {exc.message}", file=sys.stderr)
        if exc.hint:
            print(f"hint: {exc.hint}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        # the reader went away (`news-monitor export | head`): not an error. Point stdout at
        # devnull so the final flush at exit cannot raise again, and exit as SIGPIPE would
        # (https://docs.python.org/3/library/signal.html#note-on-sigpipe).
        _discard_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        if args.verbose:
            raise
        print(f"error: internal error: {exc!r}", file=sys.stderr)
        print("hint: run again with -v for the traceback, and please report it", file=sys.stderr)
        return 1
    finally:
        ctx.close()


def _discard_stdout() -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (AttributeError, OSError, ValueError):
        pass  # stdout is not a file (captured in tests): nothing left to flush into the pipe
    finally:
        os.close(devnull)
