#!/usr/bin/env bash
# Install news-monitor with its development tools into .venv and run every check:
# ruff (lint + format), mypy (strict, src/), and the whole pytest suite.
set -euo pipefail
cd "$(dirname "$0")"
python3 -m venv .venv
.venv/bin/pip install --quiet --upgrade pip
.venv/bin/pip install --quiet -e '.[dev,apprise]'
.venv/bin/ruff check src tests bench scripts
.venv/bin/ruff format --check src tests bench scripts
.venv/bin/mypy
.venv/bin/pytest -q -p no:cacheprovider "$@"
