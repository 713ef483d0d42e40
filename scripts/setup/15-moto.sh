#!/usr/bin/env bash
# moto's S3 server for the result-storage tests: unlike s3rver it implements AbortMultipartUpload and
# ListMultipartUploads, so the tests can see that a failed or cancelled upload leaves nothing behind.
# Uses a Python that already has moto[server]; otherwise installs Debian's python3-moto (with Flask) via apt.
set -euo pipefail
for py in python3 /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then echo "moto: already there ($py)"; exit 0; fi
done
if command -v apt-get >/dev/null 2>&1; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-moto python3-flask python3-flask-cors >/dev/null
  /usr/bin/python3 -c 'import moto.server' && { echo "moto: installed from Debian"; exit 0; }
fi
echo "moto: not available (pip install 'moto[server]' or apt-get install python3-moto python3-flask python3-flask-cors)" >&2
exit 1
