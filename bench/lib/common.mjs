// Shared by the benchmarks: child processes, the sandbox in its own process, embedded Node-RED, n8n's engine.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const require = createRequire(join(ROOT, 'package.json'));
export const SANDBOX_KEY = 'sandbox-key';
const RESULT_TAG = 'BENCH_RESULT ';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A worker hands its figures back with this (one line on stdout). */
export function report(result) {
  process.stdout.write(`${RESULT_TAG}${JSON.stringify(result)}\n`);
}

/** Runs a bench worker in its own Node process; resolves with what it reported. Its stderr is shown if it fails. */
export function runWorker(script, args = [], { execArgv = [], env = {}, timeoutMs = 15 * 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...execArgv, join(ROOT, 'bench', script), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const line = out.split('\n').find((l) => l.startsWith(RESULT_TAG));
      if (line) return resolve(JSON.parse(line.slice(RESULT_TAG.length)));
      reject(new Error(`${script} ${args.join(' ')} ended (${signal ?? code}) without a result\n${err.slice(-4000)}\n${out.slice(-2000)}`));
    });
  });
}

/**
 * The sandbox in a child process, so that its CPU and memory never count towards the process being measured.
 * Driven over its control API.
 */
export async function startSandboxProcess(options = {}) {
  const child = spawn(process.execPath, [join(ROOT, 'bench/lib/sandbox-process.mjs'), JSON.stringify({ apiKey: SANDBOX_KEY, ...options })], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /SANDBOX (\S+)\n/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`the sandbox process ended (${code})`)));
  });
  const info = await (await fetch(`${url}/__sandbox`)).json();
  const control = async (method, path, body) => {
    const res = await fetch(`${url}/__sandbox${path}`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
    if (!res.ok) throw new Error(`sandbox control ${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  return {
    url,
    pid: child.pid,
    baseUrl: (provider) => info.providers[provider],
    requests: async (provider) => (await control('GET', `/requests${provider ? `?provider=${provider}` : ''}`)).requests,
    jobs: async (provider) => (await control('GET', `/jobs${provider ? `?provider=${provider}` : ''}`)).jobs,
    reset: () => control('POST', '/reset'),
    setJobDuration: (ms) => control('POST', '/job-duration', { ms }),
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}

/** Address handed to a worker: the sandbox URL and its provider base URLs. */
export async function sandboxFromArg(arg) {
  const url = JSON.parse(arg).url;
  const info = await (await fetch(`${url}/__sandbox`)).json();
  const control = async (method, path) => (await fetch(`${url}/__sandbox${path}`, { method })).json();
  return {
    url,
    baseUrl: (provider) => info.providers[provider],
    requests: async (provider) => (await control('GET', `/requests${provider ? `?provider=${provider}` : ''}`)).requests,
    jobs: async (provider) => (await control('GET', `/jobs${provider ? `?provider=${provider}` : ''}`)).jobs,
  };
}

/** CPU time (user + system) of this process, in microseconds. */
export function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** Peak RSS of this process since the last reset (Linux VmHWM), or undefined elsewhere. */
export function peakRss() {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Resets the kernel's peak-RSS mark for this process (Linux); false when not possible. */
export function resetPeakRss() {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Tracks RSS growth over `fn`: samples every 5 ms, and on Linux also the kernel's peak mark (which sees peaks
 * between samples). Returns fn's value and the largest growth over the RSS before it.
 */
export async function rssGrowthDuring(fn) {
  global.gc?.();
  global.gc?.();
  const hwmReset = resetPeakRss();
  const before = process.memoryUsage.rss();
  let sampled = before;
  const timer = setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 5);
  try {
    const value = await fn();
    sampled = Math.max(sampled, process.memoryUsage.rss());
    const hwm = hwmReset ? peakRss() : undefined;
    const peak = Math.max(sampled, hwm ?? 0);
    return { value, rssBefore: before, rssPeak: peak, growth: peak - before, kernelPeak: hwm !== undefined };
  } finally {
    clearInterval(timer);
  }
}

/**
 * Real Node-RED, embedded (RED.init + RED.start) the way runtimes.md describes, loading the BUILT package from the
 * repository root (nodesDir). No HTTP admin or editor.
 */
export async function startNodeRed({ level = 'warn', settings = {} } = {}) {
  const userDir = mkdtempSync(join(tmpdir(), 'lipsync-bench-red-'));
  const RED = require('node-red');
  const server = createServer();
  const logs = [];
  RED.init(server, {
    userDir,
    nodesDir: [ROOT],
    flowFile: 'flows.json',
    credentialSecret: false,
    httpAdminRoot: false,
    httpNodeRoot: false,
    disableEditor: true,
    fileWorkingDirectory: userDir,
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: {
      console: { level, metrics: false, audit: false },
      // Every log line, for the checks that look for leaked keys.
      capture: { level: 'trace', metrics: false, audit: false, handler: () => (entry) => logs.push(entry) },
    },
    ...settings,
  });
  const started = new Promise((r) => RED.events.once('flows:started', r));
  await RED.start();
  await started;
  return {
    RED,
    logs,
    async deploy(flows) {
      const running = new Promise((r) => RED.events.once('flows:started', r));
      await RED.runtime.flows.setFlows({ flows: { flows }, deploymentType: 'full' });
      await running;
      for (const n of flows) if (n.type !== 'tab' && !RED.nodes.getNode(n.id)) throw new Error(`Node-RED did not start node ${n.type} ${n.id}`);
    },
    node: (id) => RED.nodes.getNode(id),
    async stop() {
      await RED.stop();
      server.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/**
 * Loads test/n8n/support/engine.ts (the in-process n8n engine harness the tests use) without a TypeScript
 * runtime: transpiled once into bench/.cache, at the same depth below the repository root so its paths hold.
 */
export async function loadN8nEngine() {
  const ts = require('typescript');
  const out = join(ROOT, 'bench/.cache/n8n');
  mkdirSync(out, { recursive: true });
  for (const name of ['engine', 'paths', 'fixtures']) {
    const source = readFileSync(join(ROOT, 'test/n8n/support', `${name}.ts`), 'utf8');
    const { outputText } = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } });
    writeFileSync(join(out, `${name}.mjs`), outputText.replace(/from '\.\/(\w+)'/g, "from './$1.mjs'"));
  }
  const engine = await import(join(out, 'engine.mjs'));
  const fixtures = await import(join(out, 'fixtures.mjs'));
  return { ...engine, ...fixtures };
}

/** The largest number of timestamps inside any window of `windowMs` (sliding, anchored at each timestamp). */
export function maxInWindow(stamps, windowMs) {
  const t = [...stamps].sort((a, b) => a - b);
  let best = 0;
  let j = 0;
  for (let i = 0; i < t.length; i++) {
    while (t[i] - t[j] >= windowMs) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * A real S3-compatible server in its own process (s3rver 5 on the Node 24 from .ci/extras, files on disk), so its
 * memory never counts towards the process being measured. Bucket "media", keys S3RVER / S3RVER.
 */
export async function startS3Process() {
  const node24 = join(ROOT, '.ci/extras/node24/node_modules/node/bin/node');
  if (!existsSync(node24)) throw new Error('Node 24 is not installed under .ci/extras (run npm run setup:extras)');
  const child = spawn(node24, [join(ROOT, 'test/support/s3-server.cjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line).port);
    });
    child.once('exit', (code) => reject(new Error(`s3rver ended (${code})`)));
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: 'media',
    accessKeyId: 'S3RVER',
    secretAccessKey: 'S3RVER',
    close: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.stdin.end();
      }),
  };
}
