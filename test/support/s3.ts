import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import aws4 from 'aws4';
import { afterAll, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../..');
export const NODE24 = join(root, '.ci/extras/node24/node_modules/node/bin/node');
const S3RVER = join(root, '.ci/extras/s3rver/node_modules/@20minutes/s3rver');

/** Why the S3 server cannot run here, or undefined when it can (installed by scripts/setup/10-s3rver.sh). */
export function s3Unavailable(): string | undefined {
  if (!existsSync(NODE24)) return 'Node 24 is not installed (run npm run setup:extras)';
  if (!existsSync(S3RVER)) return 's3rver is not installed (run npm run setup:extras)';
  return undefined;
}

export interface S3Server {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  close(): Promise<void>;
}

/** Starts a real S3-compatible server (s3rver 5 on Node 24) with a bucket named "media". */
export async function startS3(): Promise<S3Server> {
  return await startServer(spawn(NODE24, [join(__dirname, 's3-server.cjs')], { stdio: ['pipe', 'pipe', 'inherit'] }), 'S3RVER');
}

/** python3 on PATH, else pyenv's (where this machine's moto lives, should PATH lack its shims), else the system's. */
const PYTHONS = ['python3', join(process.env.PYENV_ROOT ?? join(homedir(), '.pyenv'), 'shims/python3'), '/usr/bin/python3'];
let python: string | null | undefined;
function motoPython(): string | undefined {
  python ??= PYTHONS.find((p) => spawnSync(p, ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0) ?? null;
  return python ?? undefined;
}

/** Why moto's S3 server cannot run here, or undefined when it can (a python3 with moto[server]). */
export function motoUnavailable(): string | undefined {
  return motoPython() ? undefined : 'moto is not installed: no python3 can import moto.server (pip install "moto[server]")';
}

/**
 * Starts moto's S3 server with a bucket named "media": unlike s3rver it implements AbortMultipartUpload and
 * ListMultipartUploads, so a test can see that a failed or cancelled upload left nothing behind.
 */
export async function startMoto(extraBuckets: string[] = []): Promise<S3Server> {
  const server = await startServer(spawn(motoPython()!, [join(__dirname, 'moto-server.py')], { stdio: ['pipe', 'pipe', 'inherit'] }), 'moto');
  for (const bucket of [server.bucket, ...extraBuckets]) await s3Fetch(server, 'PUT', `/${bucket}`);
  return server;
}

/** moto for the tests of one describe block (started before them, stopped after); the getter returns it. */
export function useMoto(extraBuckets: string[] = []): () => S3Server {
  let server: S3Server | undefined;
  beforeAll(async () => {
    server = await startMoto(extraBuckets);
  }, 60_000);
  afterAll(() => server?.close());
  return () => server!;
}

/** Resolves once the bucket has an open multipart upload (the upload of another process is under way). */
export async function untilOpenUpload(server: S3Server, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while ((await bucketState(server)).openUploads.length === 0) {
    if (Date.now() > end) throw new Error('no multipart upload was started');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A SigV4-signed request to the test server, for listing what a test left in the bucket. */
export async function s3Fetch(server: S3Server, method: string, path: string): Promise<{ status: number; body: string }> {
  const url = new URL(server.endpoint);
  const signed = aws4.sign({ host: url.host, path, method, service: 's3', region: 'us-east-1' }, { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey });
  const res = await fetch(`${server.endpoint}${path}`, { method, headers: signed.headers as Record<string, string> });
  return { status: res.status, body: await res.text() };
}

/** Object keys in the bucket (ListObjectsV2) and the multipart uploads still open (ListMultipartUploads). */
export async function bucketState(server: S3Server): Promise<{ keys: string[]; openUploads: string[] }> {
  const objects = await s3Fetch(server, 'GET', `/${server.bucket}?list-type=2`);
  const uploads = await s3Fetch(server, 'GET', `/${server.bucket}?uploads`);
  if (objects.status !== 200 || uploads.status !== 200) throw new Error(`listing failed: ${objects.status} ${uploads.status} ${uploads.body.slice(0, 200)}`);
  const all = (xml: string, tag: string) => [...xml.matchAll(new RegExp(`<${tag}>([^<]*)</${tag}>`, 'g'))].map((m) => m[1]!);
  return { keys: all(objects.body, 'Key'), openUploads: all(uploads.body, 'UploadId') };
}

async function startServer(child: ChildProcess, keys: string): Promise<S3Server> {
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    accessKeyId: keys,
    secretAccessKey: keys,
    bucket: 'media',
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
