"""Lazy package faces (PEP 562): a package's public names, each imported on its first use.

A face lists its names under `if TYPE_CHECKING:` (for mypy and readers) and, for the running
program, hands the same names to `lazy_face`, so importing one submodule (`monitor.topics.query`)
does not import its siblings (`monitor.topics.stage` and the store behind it).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping


def lazy_face(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """`__getattr__` and `__dir__` for *package*; *exports* maps a module to its names, given
    as one string separated by spaces (as namedtuple takes its fields)."""
    home = {name: module for module, names in exports.items() for name in names.split()}

    def __getattr__(name: str) -> object:
        module = home.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        __import__(module)  # not importlib.import_module, which `python -X importtime` misses
        value = getattr(sys.modules[module], name)
        setattr(sys.modules[package], name, value)  # the next lookup does not come here
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[package])) | set(home))

    return __getattr__, __dir__
