import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { ROOT, SANDBOX_KEY, redRequire, until } from './support';

/**
 * A wait in flight survives a real Node-RED restart: the `node-red` CLI runs a flow (inject -> create -> wait) with
 * a persistent (localfilesystem) context store, is stopped with SIGINT while the job is still running, and started
 * again. The second run must resume the wait, say so in its status and route the finished job exactly once, with
 * the message's own properties, and no second job may be created.
 */
type Msg = Record<string, any>;
let sandbox: Sandbox;
let dir: string;
const RED_JS = redRequire.resolve('node-red/red.js');

beforeAll(async () => {
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY });
  dir = mkdtempSync(join(tmpdir(), 'lipsync-restart-'));
});
afterAll(async () => {
  await sandbox?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function writeSetup(firstRun: boolean) {
  const out = (name: string) => join(dir, name);
  const flows: Msg[] = [
    { id: 'tab1', type: 'tab', label: 'restart' },
    { id: 'acc1', type: 'lipsync-account', provider: 'joggai', baseUrl: sandbox.baseUrl('joggai'), name: '' },
    {
      id: 'inj1', type: 'inject', z: 'tab1', name: 'go', once: firstRun, onceDelay: 0.1, repeat: '', crontab: '', topic: '',
      props: [
        { p: 'videoUrl', v: `${sandbox.url}/media/sample.mp4?sandbox_duration=3000`, vt: 'str' },
        { p: 'audioUrl', v: `${sandbox.url}/media/sample.wav`, vt: 'str' },
        { p: 'order', v: 'A-17', vt: 'str' },
      ],
      wires: [['cre1']],
    },
    {
      id: 'cre1', type: 'lipsync-create', z: 'tab1', account: 'acc1', videoUrl: 'videoUrl', videoUrlType: 'msg', audioUrl: 'audioUrl',
      audioUrlType: 'msg', wait: false, outputs: 1, wires: [['wai1']],
    },
    { id: 'wai1', type: 'lipsync-wait', z: 'tab1', account: 'acc1', timeout: 5, timeoutUnits: 'minutes', pollInterval: 0.1, store: '', wires: [['res1'], ['res1']] },
    {
      id: 'res1', type: 'change', z: 'tab1', name: '',
      rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '{"jobId": jobId, "status": payload.status, "order": order, "error": error}', tot: 'jsonata' }],
      wires: [['fil1']],
    },
    { id: 'fil1', type: 'file', z: 'tab1', filename: out('results.jsonl'), filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [[]] },
    { id: 'sta1', type: 'status', z: 'tab1', scope: ['wai1'], wires: [['sta2']] },
    { id: 'sta2', type: 'change', z: 'tab1', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'status.text', tot: 'msg' }], wires: [['fil2']] },
    { id: 'fil2', type: 'file', z: 'tab1', filename: out('statuses.txt'), filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', wires: [[]] },
  ];
  writeFileSync(join(dir, 'flows.json'), JSON.stringify(flows));
  writeFileSync(join(dir, 'flows_cred.json'), JSON.stringify({ acc1: { apiKey: SANDBOX_KEY } }));
  writeFileSync(
    join(dir, 'settings.js'),
    `module.exports = ${JSON.stringify({
      flowFile: 'flows.json',
      credentialSecret: false,
      httpAdminRoot: false,
      httpNodeRoot: false,
      uiHost: '127.0.0.1',
      nodesDir: [ROOT],
      contextStorage: { default: { module: 'localfilesystem' } },
      externalModules: { autoInstall: false, palette: { allowInstall: false } },
      logging: { console: { level: 'info', metrics: false, audit: false } },
    })};\n`,
  );
}

function startRed(): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
  let log = '';
  const child = spawn(process.execPath, [RED_JS, '-u', dir, '-s', join(dir, 'settings.js')], {
    cwd: dir,
    env: { ...process.env, NO_PROXY: '127.0.0.1,localhost' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, log: () => log, exited };
}

const lines = (name: string) => (existsSync(join(dir, name)) ? readFileSync(join(dir, name), 'utf8').split('\n').filter(Boolean) : []);
const jobPolls = () => sandbox.requests.filter((r) => r.method === 'GET').length;
const jobCreates = () => sandbox.requests.filter((r) => r.method === 'POST').length;

it('resumes a wait after Node-RED restarts and routes the job once', async () => {
  writeSetup(true);
  const first = startRed();
  try {
    await until(() => {
      if (/Waiting for missing types/.test(first.log())) throw new Error(`missing node types:\n${first.log()}`);
      return jobPolls() > 0;
    }, 'the first run to create the job and poll it', 30_000);
  } finally {
    first.child.kill('SIGINT');
  }
  expect(await first.exited).toBe(0);
  expect(jobCreates()).toBe(1);
  expect(lines('results.jsonl'), `the job finished before the restart; log:\n${first.log()}`).toHaveLength(0);

  writeSetup(false);
  const second = startRed();
  try {
    const [line] = await until(() => (lines('results.jsonl').length ? lines('results.jsonl') : undefined), 'the resumed job', 30_000);
    const result = JSON.parse(line!);
    expect(result).toMatchObject({ status: 'completed', order: 'A-17' });
    expect(result.jobId).toBeTruthy();
    expect(lines('statuses.txt').some((t) => /1 resumed/.test(t))).toBe(true);
    expect(second.log()).toMatch(/Resuming 1 wait/);
    expect(jobCreates()).toBe(1);
  } finally {
    second.child.kill('SIGINT');
    await second.exited;
  }
  expect(lines('results.jsonl')).toHaveLength(1);
});
