import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Shared by the Node-RED tests. The Node-RED install comes from LIPSYNC_NODE_RED_DIR (a folder whose
 * node_modules holds node-red and node-red-node-test-helper; the Node-RED 5 lane points it at .ci/extras/node-red5),
 * defaulting to the repository root (node-red 4). Our nodes are always the BUILT ones in dist/.
 */
export const ROOT = resolve(__dirname, '../..');
export const RED_DIR = process.env.LIPSYNC_NODE_RED_DIR ? resolve(process.env.LIPSYNC_NODE_RED_DIR) : ROOT;
export const redRequire = createRequire(join(RED_DIR, 'package.json'));
export const RED_PATH = redRequire.resolve('node-red');
export const RED_VERSION: string = redRequire('node-red/package.json').version;

const dist = (name: string) => {
  const file = join(ROOT, 'dist/src/node-red', `${name}.js`);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build first`);
  return file;
};
const distRequire = createRequire(join(ROOT, 'package.json'));
export const NODES = ['lipsync-account', 'lipsync-create', 'lipsync-status', 'lipsync-wait'].map((n) => distRequire(dist(n)));

export const SANDBOX_KEY = 'sandbox-key';

/** Resolves when `check` returns a truthy value, polling; rejects with `what` after `ms`. */
export async function until<T>(check: () => T | Promise<T>, what: string, ms = 20_000): Promise<NonNullable<T>> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v as NonNullable<T>;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface EmbeddedRed {
  RED: any;
  userDir: string;
  /** The port of Node-RED's HTTP server (http in / callback endpoints live under httpNodeRoot). */
  port: number;
  /** A full deploy of `nodes`; resolves once the flows have started. */
  deploy(nodes: Record<string, unknown>[]): Promise<void>;
  stop(): Promise<void>;
}

/** A debug node in tab `tab` that shows nothing: tests read what reaches it through an onReceive hook. */
export const debugNode = (id: string): Record<string, unknown> => ({ id, type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, complete: 'true', wires: [] });

/**
 * Real Node-RED embedded in the test process (RED.init + RED.start) with the BUILT package from the repository
 * root (nodesDir). Resolves once the initial flows have started: RED.start() resolves before that.
 */
export async function startEmbeddedRed(
  options: { httpNodeRoot?: string; httpAdminRoot?: string; level?: string; editor?: boolean; nodesDir?: string; settings?: Record<string, unknown> } = {},
): Promise<EmbeddedRed> {
  const userDir = mkdtempSync(join(tmpdir(), 'lipsync-red-'));
  const RED = redRequire('node-red');
  const express = redRequire('express');
  const app = express();
  const server = createServer(app);
  RED.init(server, {
    userDir,
    nodesDir: [options.nodesDir ?? ROOT],
    flowFile: 'flows.json',
    credentialSecret: false,
    // With `editor`, the editor and its admin API at / (as `node-red` serves them), no login.
    httpAdminRoot: options.editor ? '/' : (options.httpAdminRoot ?? false),
    httpNodeRoot: options.httpNodeRoot ?? false,
    disableEditor: !options.editor,
    fileWorkingDirectory: userDir,
    externalModules: { autoInstall: false, palette: { allowInstall: false } },
    logging: { console: { level: options.level ?? 'warn', metrics: false, audit: false } },
    ...options.settings,
  });
  if (options.httpNodeRoot) app.use(options.httpNodeRoot, RED.httpNode);
  if (options.editor) app.use('/', RED.httpAdmin);
  else if (options.httpAdminRoot) app.use(options.httpAdminRoot, RED.httpAdmin);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const started = new Promise((r) => RED.events.once('flows:started', r));
  await RED.start();
  await started;
  return {
    RED,
    userDir,
    port: (server.address() as AddressInfo).port,
    async deploy(nodes) {
      const flowsStarted = new Promise((r) => RED.events.once('flows:started', r));
      await RED.runtime.flows.setFlows({ flows: { flows: nodes }, deploymentType: 'full' });
      await flowsStarted;
    },
    async stop() {
      await RED.stop();
      server.closeAllConnections();
      server.close();
      rmSync(userDir, { recursive: true, force: true });
    },
  };
}

/**
 * A test flow for the node test helper: one account on `baseUrl`, the nodes under test, two output collectors
 * (out1, out2) and a Catch node feeding a third (caught).
 */
export function testFlow(provider: string, baseUrl: string, nodes: Record<string, unknown>[], account: Record<string, unknown> = {}): Record<string, unknown>[] {
  return [
    { id: 'tab', type: 'tab', label: 'test' },
    { id: 'acc', type: 'lipsync-account', provider, baseUrl, ...account },
    ...nodes.map((n) => ({ z: 'tab', ...n })),
    { id: 'out1', type: 'helper', z: 'tab' },
    { id: 'out2', type: 'helper', z: 'tab' },
    { id: 'catcher', type: 'catch', z: 'tab', scope: null, uncaught: false, wires: [['caught']] },
    { id: 'caught', type: 'helper', z: 'tab' },
  ];
}
