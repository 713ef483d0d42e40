#!/usr/bin/env bash
# Node-RED 5 (needs Node >= 22.9) and the node test helper, for the Node-RED 5 / Node 24 lane
# (scripts/lanes/node-red5.mjs). Idempotent: does nothing when the pinned versions are already installed.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.ci/extras/node-red5
want_red=5.0.7
want_helper=0.3.6
have() { node -p "require('./$dir/node_modules/$1/package.json').version" 2>/dev/null || true; }
if [ "$(have node-red)" = "$want_red" ] && [ "$(have node-red-node-test-helper)" = "$want_helper" ]; then
  echo "node-red5: node-red $want_red + test helper $want_helper already there"
  exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
# The system npm (Node 20) only downloads here; node-red 5's engines field asks for Node 22.9+, which is the
# runtime of the lane (Node 24), not of this install, hence --engine-strict=false.
npm install --prefix "$dir" --no-audit --no-fund --no-save --engine-strict=false \
  "node-red@$want_red" "node-red-node-test-helper@$want_helper"
echo "node-red5: node-red $(have node-red), test helper $(have node-red-node-test-helper)"
