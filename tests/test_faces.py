"""Package faces are lazy (PEP 562): they name the same names for mypy, `__all__` and at run
time, and importing one submodule does not import its siblings."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "monitor"
FACES = sorted(
    p.parent.relative_to(SRC.parent).as_posix().replace("/", ".")
    for p in SRC.glob("*/__init__.py")
    if "lazy_face" in p.read_text(encoding="utf-8")
)


def typing_names(package: str) -> dict[str, str]:
    """name → module of the face's `if TYPE_CHECKING:` imports."""
    path = SRC.parent.joinpath(*package.split("."), "__init__.py")
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.unparse(stmt)
                names.update({alias.name: stmt.module for alias in stmt.names})
    return names


def test_every_package_but_the_cli_has_a_lazy_face() -> None:
    assert set(FACES) >= {
        "monitor.config",
        "monitor.fetch",
        "monitor.parse",
        "monitor.extract",
        "monitor.ingest",
        "monitor.stories",
        "monitor.topics",
        "monitor.digest",
        "monitor.store",
        "monitor.daemon",
    }


@pytest.mark.parametrize("package", FACES)
def test_a_face_names_the_same_names_three_times(package: str) -> None:
    face = importlib.import_module(package)
    names = typing_names(package)
    assert sorted(names) == sorted(face.__all__)
    for name, module in names.items():
        assert getattr(face, name) is getattr(importlib.import_module(module), name), name
    assert set(face.__all__) <= set(dir(face))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        face.nothing_here  # noqa: B018


def test_a_submodule_comes_without_its_siblings() -> None:
    code = "import sys, monitor.topics.query; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(done.stdout.split())
    assert "monitor.topics.query" in modules
    assert not {"monitor.topics.stage", "monitor.topics.match", "sqlalchemy"} & modules
