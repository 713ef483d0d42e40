import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { ROOT, SANDBOX_KEY, redRequire, until } from './support';

/**
 * Waits in flight survive a real Node-RED stop and crash. The `node-red` CLI runs a flow (inject -> create -> wait)
 * on DEFAULT settings (no contextStorage: how most installs run), is stopped with SIGINT or killed with SIGKILL
 * while the job is still running, and started again on the same user directory. The second run must resume the
 * wait, say so in the log and the status, and route the finished job exactly once with the message's own
 * properties; no second job may be created. Also: a node deleted while Node-RED was down, an account that changed
 * provider, and a corrupt journal.
 */
type Msg = Record<string, any>;
let sandbox: Sandbox;
const dirs: string[] = [];
const RED_JS = redRequire.resolve('node-red/red.js');
const JOURNAL = 'lipsync-waits.json';
/** Two Node-RED starts per test: ample room on a loaded 2-core machine (never used to assert a duration). */
const CLI_TEST_TIMEOUT = 180_000;

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY });
});
afterAll(async () => {
  await sandbox?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Setup {
  firstRun: boolean;
  /** Settings as most installs have them (no contextStorage), or a persistent default context store. */
  contextStorage?: boolean;
  /** Leave the wait node out of the flows (deleted while Node-RED was down). */
  withoutWait?: boolean;
  provider?: string;
  /** The job's duration at the sandbox. */
  durationMs?: number;
}

class Red {
  readonly dir = mkdtempSync(join(tmpdir(), 'lipsync-restart-'));
  private readonly creates0 = creates();

  constructor() {
    dirs.push(this.dir);
  }

  file(name: string) {
    return join(this.dir, name);
  }

  lines(name: string): string[] {
    return existsSync(this.file(name)) ? readFileSync(this.file(name), 'utf8').split('\n').filter(Boolean) : [];
  }

  results(): Msg[] {
    return this.lines('results.jsonl').map((l) => JSON.parse(l));
  }

  journal(): string {
    return existsSync(this.file(JOURNAL)) ? readFileSync(this.file(JOURNAL), 'utf8') : '';
  }

  createsHere(): number {
    return creates() - this.creates0;
  }

  write(s: Setup) {
    const provider = s.provider ?? 'joggai';
    const flows: Msg[] = [
      { id: 'tab1', type: 'tab', label: 'restart' },
      { id: 'acc1', type: 'lipsync-account', provider, baseUrl: sandbox.baseUrl(provider as any), name: '' },
      {
        id: 'inj1', type: 'inject', z: 'tab1', name: 'go', once: s.firstRun, onceDelay: 0.1, repeat: '', crontab: '', topic: '',
        props: [
          { p: 'videoUrl', v: `${sandbox.url}/media/sample.mp4?sandbox_duration=${s.durationMs ?? 6000}`, vt: 'str' },
          { p: 'audioUrl', v: `${sandbox.url}/media/sample.wav`, vt: 'str' },
          { p: 'order', v: 'A-17', vt: 'str' },
        ],
        wires: [['cre1']],
      },
      {
        id: 'cre1', type: 'lipsync-create', z: 'tab1', account: 'acc1', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl',
        audioUrlType: 'msg', wait: false, outputs: 1, wires: [s.withoutWait ? [] : ['wai1']],
      },
      ...(s.withoutWait
        ? []
        : [{ id: 'wai1', type: 'lipsync-wait', z: 'tab1', account: 'acc1', timeout: 5, timeoutUnits: 'minutes', pollInterval: 0.1, store: '', wires: [['res1'], ['res1']] }]),
      {
        id: 'res1', type: 'change', z: 'tab1', name: '',
        rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"jobId": jobId, "status": payload.status, "order": order, "error": error}', tot: 'jsonata' }],
        wires: [['fil1']],
      },
      { id: 'fil1', type: 'file', z: 'tab1', filename: this.file('results.jsonl'), filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [[]] },
      { id: 'sta1', type: 'status', z: 'tab1', scope: ['wai1'], wires: [['sta2']] },
      { id: 'sta2', type: 'change', z: 'tab1', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status.text', tot: 'msg' }], wires: [['fil2']] },
      { id: 'fil2', type: 'file', z: 'tab1', filename: this.file('statuses.txt'), filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [[]] },
      { id: 'cat1', type: 'catch', z: 'tab1', scope: null, uncaught: false, wires: [['res1']] },
    ];
    writeFileSync(this.file('flows.json'), JSON.stringify(flows));
    writeFileSync(this.file('flows_cred.json'), JSON.stringify({ acc1: { apiKey: SANDBOX_KEY } }));
    writeFileSync(
      this.file('settings.js'),
      `module.exports = ${JSON.stringify({
        flowFile: 'flows.json',
        credentialSecret: false,
        httpAdminRoot: false,
        httpNodeRoot: false,
        uiHost: '127.0.0.1',
        nodesDir: [ROOT],
        ...(s.contextStorage ? { contextStorage: { default: { module: 'localfilesystem' } } } : {}),
        externalModules: { autoInstall: false, palette: { allowInstall: false } },
        logging: { console: { level: 'info', metrics: false, audit: false } },
      })};\n`,
    );
  }

  start(): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
    let log = '';
    const child = spawn(process.execPath, [RED_JS, '-u', this.dir, '-s', this.file('settings.js')], {
      cwd: this.dir,
      env: { ...process.env, NO_PROXY: '127.0.0.1,localhost' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d) => (log += d));
    child.stderr!.on('data', (d) => (log += d));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, log: () => log, exited };
  }
}

const creates = () => sandbox.requests.filter((r) => r.method === 'POST').length;

function started(log: () => string): () => boolean {
  return () => {
    if (/Waiting for missing types/.test(log())) throw new Error(`missing node types:\n${log()}`);
    return /Started flows/.test(log());
  };
}

/** First run: the job is created and journalled, then Node-RED is stopped with `signal` before the job ends. */
async function createThenStop(red: Red, signal: NodeJS.Signals, setup: Partial<Setup> = {}): Promise<{ jobId: string; log: string }> {
  red.write({ firstRun: true, ...setup });
  const first = red.start();
  let jobId = '';
  try {
    // The journal names the job as soon as it exists: a crash from here on loses nothing.
    await until(() => {
      started(first.log)();
      jobId = /"jobId":"([^"]+)"/.exec(red.journal())?.[1] ?? '';
      return jobId;
    }, 'the created job in the journal', 60_000);
  } finally {
    first.child.kill(signal);
  }
  const code = await first.exited;
  if (signal === 'SIGINT') expect(code).toBe(0);
  expect(red.createsHere()).toBe(1);
  expect(red.results(), `the job finished before the restart; log:\n${first.log()}`).toHaveLength(0);
  return { jobId, log: first.log() };
}

async function stopped(run: { child: ChildProcess; exited: Promise<number | null> }) {
  run.child.kill('SIGINT');
  await run.exited;
}

describe('Node-RED CLI with default settings (no context store configured)', () => {
  for (const signal of ['SIGINT', 'SIGKILL'] as const) {
    it(`resumes a wait after ${signal} and a restart, and routes the finished job once`, async () => {
      const red = new Red();
      const first = await createThenStop(red, signal);
      if (signal === 'SIGINT') expect(first.log).toMatch(new RegExp(`Stopped with 1 wait\\(s\\) in flight, kept in .*${JOURNAL}.*${first.jobId}`));

      red.write({ firstRun: false });
      const second = red.start();
      try {
        const [result] = await until(() => (red.results().length ? red.results() : undefined), `the resumed job; log:\n${second.log()}`, 60_000);
        expect(result).toMatchObject({ jobId: first.jobId, status: 'completed', order: 'A-17' });
        expect(second.log()).toMatch(new RegExp(`Resuming 1 wait\\(s\\) saved before the restart: ${first.jobId}`));
        expect(red.lines('statuses.txt').some((t) => /1 resumed/.test(t))).toBe(true);
        // Nothing is left to resume once the job was routed.
        await until(() => !existsSync(red.file(JOURNAL)), 'the journal to be emptied', 20_000);
      } finally {
        await stopped(second);
      }
      expect(red.results()).toHaveLength(1);
      expect(red.createsHere()).toBe(1);
    }, CLI_TEST_TIMEOUT);
  }

  it('names the job ids in the log when their wait node was deleted while Node-RED was down, and forgets them', async () => {
    const red = new Red();
    const { jobId } = await createThenStop(red, 'SIGKILL');
    red.write({ firstRun: false, withoutWait: true });
    const second = red.start();
    try {
      await until(() => new RegExp(`could not resume the wait\\(s\\) for job id\\(s\\) ${jobId}: their node is no longer in the deployed flows`).test(second.log()), `the warning; log:\n${second.log()}`, 60_000);
      await until(() => !existsSync(red.file(JOURNAL)), 'the journal to be emptied', 20_000);
    } finally {
      await stopped(second);
    }
    expect(red.results()).toHaveLength(0);
  }, CLI_TEST_TIMEOUT);

  it('says so when the account changed provider while Node-RED was down, with the job id, and does not poll the other API', async () => {
    const red = new Red();
    const { jobId } = await createThenStop(red, 'SIGINT');
    red.write({ firstRun: false, provider: 'chamelaion' });
    const polls = sandbox.requests.filter((r) => r.method === 'GET' && r.provider === 'chamelaion').length;
    const second = red.start();
    try {
      const [result] = await until(() => (red.results().length ? red.results() : undefined), `the error; log:\n${second.log()}`, 60_000);
      expect(result.jobId).toBe(jobId);
      expect(result.error.message).toMatch(`Job ${jobId} was created on joggai, but the node's account now uses chamelaion`);
      expect(second.log()).toMatch(`Job ${jobId} was created on joggai`);
      await until(() => !existsSync(red.file(JOURNAL)), 'the journal to be emptied', 20_000);
    } finally {
      await stopped(second);
    }
    expect(sandbox.requests.filter((r) => r.method === 'GET' && r.provider === 'chamelaion').length).toBe(polls);
  }, CLI_TEST_TIMEOUT);

  for (const [what, text] of [
    ['corrupt', 'not json at all {{{'],
    ['truncated', '{"version":1,"nodes":{"wai1:tab1":{"k1":{"jobId":"abc","startedAt":17'],
  ] as const) {
    it(`reports a ${what} journal, keeps it aside and still starts and runs the flows`, async () => {
      const red = new Red();
      red.write({ firstRun: true, durationMs: 200 });
      writeFileSync(red.file(JOURNAL), text);
      const run = red.start();
      try {
        await until(() => red.results().length > 0, `the flow to run; log:\n${run.log()}`, 60_000);
        expect(red.results()[0]).toMatchObject({ status: 'completed', order: 'A-17' });
        expect(run.log()).toMatch(new RegExp(`journal of waits in flight .*${JOURNAL} could not be read`));
        expect(readdirSync(red.dir).some((f) => f.startsWith(`${JOURNAL}.unreadable-`))).toBe(true);
      } finally {
        await stopped(run);
      }
    }, CLI_TEST_TIMEOUT);
  }
});

it('with a persistent context store configured, a wait also resumes after a restart (as before the journal)', async () => {
  const red = new Red();
  const { jobId } = await createThenStop(red, 'SIGINT', { contextStorage: true });
  red.write({ firstRun: false, contextStorage: true });
  const second = red.start();
  try {
    const [result] = await until(() => (red.results().length ? red.results() : undefined), `the resumed job; log:\n${second.log()}`, 60_000);
    expect(result).toMatchObject({ jobId, status: 'completed', order: 'A-17' });
  } finally {
    await stopped(second);
  }
  expect(red.results()).toHaveLength(1);
}, CLI_TEST_TIMEOUT);
