// Runs s3rver 5 (a real S3-compatible server that verifies SigV4) on loopback, for the media tests.
// Started by test/support/s3.ts under Node 24; prints {"port":N} once listening and stops on stdin close.
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const S3rver = require(join(__dirname, '../../.ci/extras/s3rver/node_modules/@20minutes/s3rver'));

const directory = mkdtempSync(join(tmpdir(), 's3rver-'));
const server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory, configureBuckets: [{ name: 'media' }] });
server.run().then((addr) => process.stdout.write(`${JSON.stringify({ port: addr.port })}\n`));
const stop = () => server.close().finally(() => { rmSync(directory, { recursive: true, force: true }); process.exit(0); });
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
