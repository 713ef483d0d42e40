import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectMedia } from '../../src';

/**
 * The README's first command, run the way a user runs it: `node scripts/demo.mjs` (what `npm start` calls) in a
 * child process, from the repository root, with the output folder in a temp dir. It starts the sandbox and an
 * embedded Node-RED, runs the example flow and must leave a real MP4 behind.
 */
const ROOT = resolve(__dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'lipsync-demo-test-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The demo rebuilds a stale dist/ (rm -rf, then tsc), which would pull it from under tests running alongside: the
// suite builds first (npm test, npm run test:quick), so a stale build here means a source changed since.
const SOURCES = ['src', 'nodes', 'credentials', 'icons', 'tsconfig.json'];
const newest = (path: string): number => {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  return st.isDirectory() ? Math.max(0, ...readdirSync(path).map((n) => newest(join(path, n)))) : st.mtimeMs;
};
const stamp = join(ROOT, 'dist/src/index.js');
if (!existsSync(stamp) || Math.max(...SOURCES.map((p) => newest(join(ROOT, p)))) > statSync(stamp).mtimeMs) {
  throw new Error('dist/ is missing or older than the sources: run npm run build before these tests');
}

/** The environment of a user who set nothing for the demo. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('LIPSYNC_')) env[k] = v;
  return { ...env, ...extra };
}

interface Run {
  code: number | null;
  out: string;
  err: string;
}

function demo(args: string[], env = cleanEnv(), onOutput?: (out: string, stop: () => void) => void, root = ROOT): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(root, 'scripts/demo.mjs'), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const kill = setTimeout(() => child.kill('SIGKILL'), 150_000);
    child.stdout.on('data', (d) => {
      out += d;
      onOutput?.(out, () => child.kill('SIGINT'));
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(kill);
      done({ code, out, err });
    });
  });
}

const freePort = () =>
  new Promise<number>((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });

describe('the demo (npm start)', () => {
  it('by default runs the whole chain: script text -> Fish Audio speech -> lip-sync -> a real MP4 it names', async () => {
    const output = join(tmp, 'output');
    const run = await demo(['--output', output]);
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    const files = readdirSync(output);
    expect(files).toHaveLength(1);
    const file = join(output, files[0]!);
    expect(files[0]).toMatch(/^lipsync-.+\.mp4$/);
    expect(run.out).toContain(file);
    expect(run.out).toContain('Provider: Fish Audio (open API) in the sandbox');
    expect(run.out).toMatch(/Script: {3}"Hello! This video was made from a script/);
    expect(run.out).toMatch(/status: speech: generating speech/);
    expect(run.out).toMatch(/✓ Speech: \d+ characters spoken in voice sandbox-voice-anna, WAV at http:\/\/127\.0\.0\.1:\d+\/speech\//);
    expect(run.out).toMatch(/status: completed/);
    const info = inspectMedia(readFileSync(file));
    expect(info).toMatchObject({ container: 'mp4', kind: 'video', hasVideoTrack: true });
    expect(run.err).toBe('');
  });

  it('--script and --clone: the voice is cloned from the recording first and speaks the given script', async () => {
    const output = join(tmp, 'cloned');
    const run = await demo(['--output', output, '--script', 'Spoken in a cloned voice.', '--clone', join(ROOT, 'src/sandbox/assets/sample.wav')]);
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    expect(run.out).toMatch(/status: clone voice: cloned: My voice/);
    expect(run.out).toMatch(/✓ Speech: 25 characters spoken in voice voice_[0-9a-f]+/);
    expect(readdirSync(output)).toHaveLength(1);
  });

  it('--audio lip-syncs the sample audio bytes instead (no speech), through JoggAI in the sandbox', async () => {
    const output = join(tmp, 'audio');
    const run = await demo(['--output', output, '--audio']);
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    expect(run.out).toContain('Provider: JoggAI in the sandbox');
    expect(run.out).toMatch(/sent as bytes/);
    expect(run.out).toMatch(/status: (queued|processing)/);
    const [name] = readdirSync(output);
    expect(inspectMedia(readFileSync(join(output, name!)))).toMatchObject({ container: 'mp4', kind: 'video' });
    expect(run.err).toBe('');
  });

  it('with Chamelaion (multipart upload) as the provider, from one environment variable', async () => {
    const output = join(tmp, 'chamelaion');
    const run = await demo(['--output', output], cleanEnv({ LIPSYNC_PROVIDER: 'chamelaion' }));
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    expect(run.out).toContain('Provider: Chamelaion in the sandbox');
    const [name] = readdirSync(output);
    expect(inspectMedia(readFileSync(join(output, name!)))).toMatchObject({ container: 'mp4', kind: 'video' });
  });

  it('a provider that needs storage, with none configured, stops at once and says what to set', async () => {
    const run = await demo(['--output', join(tmp, 'none')], cleanEnv({ LIPSYNC_PROVIDER: 'akool' }));
    expect(run.code).toBe(2);
    expect(run.err).toContain('Akool takes media only as URLs');
    expect(run.err).toContain('LIPSYNC_S3_ENDPOINT');
  });

  it('--editor keeps Node-RED with the example flow open on loopback until Ctrl+C', async () => {
    const port = await freePort();
    let seen: { root: number; flows: string } | undefined;
    const run = await demo(['--editor', '--port', String(port), '--output', join(tmp, 'editor')], cleanEnv(), (out, stop) => {
      if (seen || !out.includes(`http://127.0.0.1:${port}/`)) return;
      seen = { root: 0, flows: '' };
      void (async () => {
        seen!.root = (await fetch(`http://127.0.0.1:${port}/`)).status;
        seen!.flows = await (await fetch(`http://127.0.0.1:${port}/flows`)).text();
        stop();
      })();
    });
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    expect(seen?.root).toBe(200);
    expect(seen?.flows).toContain('"type":"lipsync-create"');
    expect(readdirSync(join(tmp, 'editor'))).toHaveLength(1);
  });

  it('on a fresh checkout (no dist/), builds the package first and then writes the MP4 to ./output', async () => {
    const clone = join(tmp, 'clone');
    for (const p of [...SOURCES, 'scripts', 'examples', 'package.json']) cpSync(join(ROOT, p), join(clone, p), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'), 'dir');
    expect(existsSync(join(clone, 'dist'))).toBe(false);
    const run = await demo([], cleanEnv(), undefined, clone);
    expect(run.code, `${run.out}\n${run.err}`).toBe(0);
    expect(run.out).toContain('First run: building the package');
    const [name] = readdirSync(join(clone, 'output'));
    expect(run.out).toContain(join(clone, 'output', name!));
    expect(inspectMedia(readFileSync(join(clone, 'output', name!)))).toMatchObject({ container: 'mp4', kind: 'video' });
  }, 180_000);
});
