#!/usr/bin/env bash
# moto's S3 server for the result-storage tests: unlike s3rver it implements AbortMultipartUpload and
# ListMultipartUploads, so the tests can see that a failed or cancelled upload leaves nothing behind.
# moto[server] 5 comes with this kind of machine's Python (pyenv); Debian 12 has no python3-moto and PyPI is not
# reachable here, so this step only checks and says what is missing (in CI the storage tests then fail loudly).
set -uo pipefail
for py in python3 "${PYENV_ROOT:-$HOME/.pyenv}/shims/python3" /usr/bin/python3; do
  if command -v "$py" >/dev/null 2>&1 && "$py" -c 'import moto.server, flask, flask_cors' >/dev/null 2>&1; then
    echo "moto: there ($("$py" -c 'import moto; print(moto.__version__)') on $py)"
    exit 0
  fi
done
echo "moto: not found: the result-storage tests need a Python with moto[server] (pip install 'moto[server]')" >&2
exit 0
