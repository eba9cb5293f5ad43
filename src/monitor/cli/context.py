"""What every command gets: parsed arguments, the environment, and lazily the config and app."""

from __future__ import annotations

import argparse
import json
import sys
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from monitor.config import Config, load_config
from monitor.redact import learn_secrets

if TYPE_CHECKING:
    from monitor.app import App


class Context:
    def __init__(self, args: argparse.Namespace, environ: dict[str, str]) -> None:
        self.args = args
        self.environ = environ
        self._app: App | None = None

    @property
    def config_path(self) -> Path:
        value = self.args.config or self.environ.get("MONITOR_CONFIG") or "config/feeds.yaml"
        return Path(value)

    @cached_property
    def config(self) -> Config:
        config = load_config(self.config_path, self.environ)
        learn_secrets(config.secrets)
        return config

    @property
    def app(self) -> App:
        """The app over a store opened for writing (migrated, synced to the config)."""
        if self._app is None:
            from monitor.app import App  # the store and the stages, for commands that use them

            self._app = App.open(self.config)
        return self._app

    @property
    def reader(self) -> App:
        """The app over a store opened read-only, for the commands that only read."""
        if self._app is None:
            from monitor.app import App

            self._app = App.open(self.config, read_only=True)
        return self._app

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def emit_json(self, value: Any) -> None:
        json.dump(value, sys.stdout, ensure_ascii=False, indent=2, default=str)
        sys.stdout.write("\n")

    def close(self) -> None:
        if self._app is not None:
            self._app.close()
