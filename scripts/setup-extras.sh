#!/usr/bin/env bash
# Installs the extra runtimes the full suite runs against, under .ci/extras/ (idempotent: skips what is there).
# Each piece is a script in scripts/setup/, run in name order.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .ci/extras
for step in scripts/setup/*.sh; do
  echo "[setup] $step"
  bash "$step"
done
