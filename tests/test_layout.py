"""The house rules of docs/architecture.md, read off the source: who may import whom, SQL only in
store/, no import cycle, no migration importing live code."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "monitor"

LEAVES = {"errors", "models", "clock", "urls", "faces", "redact"}
BASE = LEAVES | {"monitor"}  # `monitor` itself: __version__
# what each part may import at module level (beside itself and the standard library)
MAY_IMPORT: dict[str, set[str]] = {
    **{leaf: set() for leaf in LEAVES},
    "config": BASE,
    "fetch": BASE | {"config"},
    "parse": BASE,
    "extract": BASE,
    "store": BASE,
    "stories": BASE | {"store", "config"},
    "topics": BASE | {"store", "config"},
    "digest": BASE | {"store", "config", "monitor.fetch.support"},  # Retry-After only
    "ingest": BASE | {"store", "config", "fetch", "parse", "extract"},
    "app": BASE | {"store", "config", "fetch", "parse", "extract", "ingest", "stories", "topics"},
    "daemon": BASE | {"store", "config", "ingest", "stories", "digest", "app"},
    "web": BASE | {"store", "config", "ingest", "topics", "digest"},
    # daemon: its sd_notify and watchdog pieces only (tests hold daemon from importing workers)
    "workers": BASE | {"store", "config", "fetch", "ingest", "stories", "digest", "app", "daemon"},
    "cli": BASE
    | {
        "store",
        "config",
        "ingest",
        "stories",
        "topics",
        "digest",
        "app",
        "daemon",
        "web",
        "workers",
    },  # fmt: skip
    "__main__": {"cli"},
    "monitor": set(),
}
# imported inside a function only: config validates a value by asking the part that owns it
MAY_IMPORT_LAZILY: dict[str, set[str]] = {"config": {"topics", "digest"}}
# outside store/, SQLAlchemy is a type in a signature, never a statement
SQL_TYPES = {"Connection", "Engine", "Row", "RowMapping"}


@dataclass(frozen=True)
class Import:
    module: str  # the importing module, dotted
    target: str  # the imported monitor module, dotted
    lazy: bool  # inside a function
    line: int


def modules() -> Iterator[tuple[str, Path, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        name = ".".join(path.relative_to(SRC).with_suffix("").parts).removesuffix(".__init__")
        yield name, path, ast.parse(path.read_text(), str(path))


def part(module: str) -> str:
    """The part of the house a dotted module belongs to: its package, or the root module."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else "monitor"


def is_module(dotted: str) -> bool:
    path = SRC.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def imports(module: str, tree: ast.Module) -> Iterator[Import]:
    """Every import of a monitor module, with `from monitor.x import y` resolved to the
    submodule `monitor.x.y` where y is one."""

    def targets(node: ast.stmt) -> Iterator[str]:
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("monitor"):
            assert node.module is not None
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                yield sub if is_module(sub) else node.module
        elif isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.startswith("monitor."))

    def visit(node: ast.AST, lazy: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                for target in targets(child):
                    yield Import(module, target, lazy, child.lineno)
            elif isinstance(child, ast.If) and _type_checking(child):
                for branch in child.orelse:  # the names under TYPE_CHECKING are for mypy only
                    yield from visit(ast.Module(body=[branch], type_ignores=[]), lazy)
            else:
                inner = lazy or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
                yield from visit(child, inner)

    yield from visit(tree, False)


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


ALL = [
    (name, path, sorted(set(imports(name, tree)), key=str), tree) for name, path, tree in modules()
]


def test_every_part_imports_only_what_it_may() -> None:
    wrong = []
    for name, path, found, _ in ALL:
        here = part(name)
        for imp in found:
            there = part(imp.target)
            if there == here:
                continue
            allowed = MAY_IMPORT[here] | (MAY_IMPORT_LAZILY.get(here, set()) if imp.lazy else set())
            if there not in allowed and imp.target not in allowed:
                wrong.append(f"{path.relative_to(SRC)}:{imp.line}: {here} imports {imp.target}")
    assert not wrong, "\n".join(wrong)


def test_no_module_stands_loose_but_the_wiring() -> None:
    loose = {p.stem for p in PACKAGE.glob("*.py")}
    assert loose == {
        "__init__",
        "__main__",
        "app",
        "clock",
        "errors",
        "faces",
        "models",
        "redact",
        "urls",
    }


def test_no_sql_outside_store() -> None:
    wrong = []
    for name, path, _, tree in ALL:
        if part(name) == "store":
            continue
        aliases = {
            a.asname or a.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for a in node.names
            if a.name == "sqlalchemy"
        }
        for node in ast.walk(tree):
            where = f"{path.relative_to(SRC)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
                names = {a.name for a in node.names}
                if node.module != "sqlalchemy" or names - SQL_TYPES:
                    wrong.append(f"{where}: from {node.module} import {', '.join(sorted(names))}")
            elif (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
                and node.attr not in SQL_TYPES
            ):
                wrong.append(f"{where}: {node.value.id}.{node.attr}")
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in {"execute", "exec_driver_sql", "scalar", "scalars"}
            ):
                wrong.append(f"{where}: .{node.func.attr}(…)")
    assert not wrong, "\n".join(wrong)


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One loop of the graph, as the nodes along it (first = last), or None."""
    done: set[str] = set()
    path: list[str] = []

    def walk(node: str) -> list[str] | None:
        if node in path:
            return [*path[path.index(node) :], node]
        if node in done:
            return None
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if found := walk(nxt):
                return found
        path.pop()
        done.add(node)
        return None

    return next((c for node in sorted(graph) if (c := walk(node))), None)


def test_no_import_cycle() -> None:
    """No loop of module-level imports; importing `monitor.x.y` from outside x runs x's face."""
    known = {name for name, *_ in ALL}
    graph: dict[str, set[str]] = {}
    for name, _, found, _ in ALL:
        targets = {i.target for i in found if not i.lazy and i.target in known}
        faces = {t.rsplit(".", 1)[0] for t in targets if t.count(".") > 1}
        graph[name] = targets | {f for f in faces if not f"{name}.".startswith(f"{f}.")}
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_migrations_import_no_live_code() -> None:
    wrong = [
        f"{path.relative_to(SRC)}:{imp.line}: {imp.target}"
        for name, path, found, _ in ALL
        if name.startswith("monitor.store.migrations.")
        for imp in found
        if imp.target != "monitor.store.types"
    ]
    assert not wrong, "\n".join(wrong)


def test_the_rules_hold_on_a_file_that_breaks_them() -> None:
    """The readers above find what they look for (so a passing rule is not an empty one)."""
    source = (
        "import sqlalchemy as sa\n"
        "from monitor.digest.build import Digest\n"
        "def f(conn):\n"
        "    from monitor.topics.query import parse_query\n"
        "    return conn.execute(sa.select(1))\n"
    )
    found = list(imports("monitor.parse.bad", ast.parse(source)))
    assert [(i.target, i.lazy) for i in found] == [
        ("monitor.digest.build", False),
        ("monitor.topics.query", True),
    ]
    assert "digest" not in MAY_IMPORT["parse"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
