#!/usr/bin/env bash
# A real S3-compatible server for the media tests: s3rver 5 (verifies SigV4 headers and presigned URLs).
# It needs Node >= 24, so it runs on the Node 24 from 00-node.sh.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=.ci/extras/s3rver
if [ -f "$dir/node_modules/@20minutes/s3rver/package.json" ]; then echo "s3rver: already there"; exit 0; fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{"private":true}' > "$dir/package.json"
npm install --prefix "$dir" --no-audit --no-fund --no-save --engine-strict=false @20minutes/s3rver@5.0.0
