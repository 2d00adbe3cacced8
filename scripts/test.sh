#!/usr/bin/env bash
# Install everything and run the whole test suite: lint, unit, page (AppTest) and real-browser tests,
# then the quick benchmark so it never rots.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh requirements-dev.txt
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }
if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "noto sans cjk"; then
  echo "Installing Debian's chromium and CJK fonts for the real-browser tests ..."
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; }; then
    echo "Could not install chromium (no root?): the real-browser tests will be skipped." >&2
  fi
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m pytest "$@"
.venv/bin/python bench/run.py --sizes 10000 --out /tmp/kam-bench-quick.md
