"""The web tests share one demo state per module, polled by the real CLI, and one server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from console import web_server
from webdemo import Demo, demo_state


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    with demo_state(tmp_path_factory.mktemp("web")) as found:
        yield found


@pytest.fixture(scope="module")
def web(demo: Demo) -> Iterator[str]:
    with web_server(demo.config) as base:
        yield base
