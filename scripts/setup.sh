#!/usr/bin/env bash
# Shared set-up for run.sh and test.sh: a virtual environment in .venv with the given requirements file.
set -euo pipefail
cd "$(dirname "$0")/.."
req=${1:-requirements.txt}
py=${PYTHON:-python3}
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"; else return 1; fi; }
if [ ! -x .venv/bin/python ]; then
  if ! "$py" -m venv .venv 2>/dev/null; then
    # Debian ships venv separately.
    rm -rf .venv
    as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
    "$py" -m venv .venv
  fi
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -r "$req"
# The printable statement (结算单) embeds Noto Sans CJK from Debian's fonts-noto-cjk; nothing is fetched at run time.
if ! fc-list 2>/dev/null | grep -qi "noto sans cjk" && [ ! -f /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ]; then
  echo "Installing Debian's fonts-noto-cjk for the printable monthly statements ..."
  if ! { as_root apt-get update -qq && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; }; then
    echo "Could not install fonts-noto-cjk (no root?): statement PDFs will ask for it." >&2
  fi
fi
