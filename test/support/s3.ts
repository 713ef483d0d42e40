import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  const child: ChildProcess = spawn(NODE24, [join(__dirname, 's3-server.cjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
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
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    bucket: 'media',
    close: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.stdin!.end();
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
