"""The App's lifecycle: wiring writes nothing, `open` is the start step, reload through one door."""

from __future__ import annotations

import asyncio
from pathlib import Path

from demosite import write_config
from monitor.app import App, Reload
from monitor.config import load_config
from monitor.store import Store
from monitor.store import sources as source_store


def names(store: Store) -> list[str]:
    with store.connect() as conn:
        return sorted(r.name for r in source_store.all_sources(conn))


def test_wiring_writes_nothing_and_open_syncs_the_sources(tmp_path: Path) -> None:
    config = load_config(
        write_config(tmp_path, "- {url: 'http://127.0.0.1:9/a.rss', name: A}\n"), {}
    )
    store = Store.open(config.settings.state_dir)
    try:
        App(config, store)
        assert names(store) == []  # building the parts is not starting them
        App.open(config, store)
        assert names(store) == ["A"]
    finally:
        store.close()


def test_reconfigure_reaches_open_pipelines_and_names_what_needs_a_restart(
    tmp_path: Path,
) -> None:
    feeds = "- {url: 'http://127.0.0.1:9/a.rss', name: A}\n"
    app = App.open(load_config(write_config(tmp_path, feeds), {}))

    async def reload_while_open() -> None:
        async with app.pipeline() as pipeline:
            path = write_config(tmp_path, feeds + "- {url: 'http://127.0.0.1:9/b.rss', name: B}\n")
            text = path.read_text().replace("read_timeout: 2s", "read_timeout: 3s")
            path.write_text(text.replace("extract_workers: 1", "extract_workers: 2"))
            config = load_config(path, {})
            reload = app.reconfigure(config)
            assert reload == Reload(
                sources=2, needs_restart=("extract_workers", "fetch.read_timeout")
            )
            assert pipeline.config is config and pipeline.stages == app.stages
            assert pipeline.fetcher.settings.read_timeout == 2.0  # the client of the start

    try:
        asyncio.run(reload_while_open())
        assert names(app.store) == ["A", "B"]
        again = app.reconfigure(load_config(tmp_path / "feeds.yaml", {}))
        assert again.needs_restart == ("extract_workers", "fetch.read_timeout")  # still pending
        back = app.reconfigure(load_config(write_config(tmp_path, feeds), {}))
        assert back == Reload(sources=1, needs_restart=())  # the values the parts run with
    finally:
        app.close()
