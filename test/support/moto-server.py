# Runs moto's S3 server (a real S3 API with multipart uploads, AbortMultipartUpload and ListMultipartUploads,
# which s3rver lacks) on loopback for the result-storage tests. Started by test/support/s3.ts; prints
# {"port":N} once listening and stops when stdin closes.
import json
import sys

import logging

from moto.server import ThreadedMotoServer

# Quiet: a test that cancels an upload cuts a request body off, which werkzeug would log as an error.
logging.getLogger("werkzeug").setLevel(logging.CRITICAL)

server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
server.start()
print(json.dumps({"port": server._server.server_port}), flush=True)
sys.stdin.read()
server.stop()
