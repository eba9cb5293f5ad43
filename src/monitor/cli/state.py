"""Commands about the state database itself: state check, state backup PATH."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from monitor.cli.context import Context


def register(sub: Any) -> None:
    group = sub.add_parser("state", help="check the state database, or back it up while it runs")
    actions = group.add_subparsers(dest="state_command", metavar="ACTION", required=True)
    actions.add_parser(
        "check", help="run SQLite's integrity check over the state (read-only)"
    ).set_defaults(handler=cmd_state_check)
    backup = actions.add_parser("backup", help="a consistent copy of the state (online backup)")
    backup.add_argument("path", metavar="PATH", help="the backup file (replaced when it exists)")
    backup.set_defaults(handler=cmd_state_backup)


def cmd_state_check(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import checkup

    s = ctx.config.settings
    checkup.sqlite_only(s.database_url, "check", "pg_amcheck, or a test restore of pg_dump")
    found = checkup.check(s.state_dir, s.lock_timeout)
    if ctx.json:
        ctx.emit_json({"path": str(found.path), "ok": found.ok, "problems": list(found.problems)})
    elif found.ok:
        print(f"{found.path}: ok (PRAGMA integrity_check found no damage)")
    else:
        print(f"{found.path}: damaged, {len(found.problems)} problem(s):")
        for problem in found.problems:
            print(f"  {problem}")
        print(
            "restore a backup: stop the daemon, move the file and its -wal and -shm away, copy "
            "the backup in its place (docs/cli.md, The state database)"
        )
    return 0 if found.ok else 1


def cmd_state_backup(args: argparse.Namespace, ctx: Context) -> int:
    from monitor.store import checkup

    s = ctx.config.settings
    checkup.sqlite_only(s.database_url, "backup", "pg_dump (see its --format=custom)")
    done = checkup.backup(s.state_dir, Path(args.path), s.lock_timeout)
    if ctx.json:
        ctx.emit_json({"source": str(done.source), "backup": str(done.target), "bytes": done.size})
    else:
        print(f"backed up {done.source} to {done.target} ({done.size} bytes)")
    return 0
