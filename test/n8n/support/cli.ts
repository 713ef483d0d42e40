/**
 * Drives the real n8n CLI (installed by scripts/setup/30-n8n-cli.sh) against a fresh user folder with our
 * packed package installed as a community package, the way a self-hosted user installs it.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PKG_ROOT } from './paths';
import { EXTRAS } from './tools';

const run = promisify(execFile);

export interface CliTarget {
	label: string;
	/** The n8n install (.ci/extras/n8n-node22 or n8n-node24). */
	dir: string;
	/** The Node binary n8n runs on. */
	node: string;
}

export const TARGETS: CliTarget[] = [
	{ label: 'n8n 2.8.4 on Node 22', dir: join(EXTRAS, 'n8n-node22'), node: join(EXTRAS, 'node22/node_modules/node/bin/node') },
	{ label: 'n8n 2.41.1 on Node 24', dir: join(EXTRAS, 'n8n-node24'), node: join(EXTRAS, 'node24/node_modules/node/bin/node') },
];

export const n8nBin = (target: CliTarget) => join(target.dir, 'node_modules/n8n/bin/n8n');

/** `npm pack` of the built package into a temp dir: exactly the files a user would install. */
export async function packPackage(): Promise<string> {
	const dest = mkdtempSync(join(tmpdir(), 'lipsync-pack-'));
	const { stdout } = await run('npm', ['pack', '--json', '--pack-destination', dest], { cwd: PKG_ROOT, maxBuffer: 16 * 1024 * 1024 });
	const [info] = JSON.parse(stdout.slice(stdout.indexOf('['))) as { filename: string }[];
	return join(dest, info!.filename.replace(/^@/, '').replace(/\//, '-'));
}

/**
 * Installs the tarball the way n8n installs a community package: into <userFolder>/.n8n/nodes, n8n-workflow left to
 * the host (a peer dependency). Done once; each user folder gets a copy.
 */
export async function installCommunityPackage(tarball: string): Promise<string> {
	const nodesDir = join(mkdtempSync(join(tmpdir(), 'lipsync-nodes-')), 'nodes');
	mkdirSync(nodesDir, { recursive: true });
	writeFileSync(join(nodesDir, 'package.json'), JSON.stringify({ name: 'installed-nodes', private: true, dependencies: {} }));
	await run('npm', ['install', tarball, '--omit=peer', '--omit=dev', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: nodesDir, maxBuffer: 16 * 1024 * 1024 });
	return nodesDir;
}

/** A fresh n8n user folder with the community package in .n8n/nodes. */
export function newUserFolder(nodesDir: string): string {
	const folder = mkdtempSync(join(tmpdir(), 'lipsync-n8n-user-'));
	cpSync(nodesDir, join(folder, '.n8n', 'nodes'), { recursive: true });
	return folder;
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/**
 * A free port below Linux's ephemeral range (32768-60999), for `n8n start`. n8n binds its port seconds after we pick
 * it; a port from the ephemeral range can meanwhile become the source port of an outgoing connection (even one of
 * our own polls, which then connects to itself), and the test would talk to something that is not n8n.
 */
export async function quietPort(): Promise<number> {
	for (;;) {
		const port = 20_000 + Math.floor(Math.random() * 10_000);
		const free = await new Promise<boolean>((resolve) => {
			const probe = createServer();
			probe.once('error', () => resolve(false));
			probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
		});
		if (free) return port;
	}
}

export interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

/**
 * The environment of one n8n process: its user folder, its own task-runner broker port (so n8n processes never
 * collide), no telemetry, loopback without a proxy; `extra` on top.
 */
export async function n8nEnv(target: CliTarget, userFolder: string, extra: NodeJS.ProcessEnv = {}): Promise<NodeJS.ProcessEnv> {
	const env: NodeJS.ProcessEnv = {
		...process.env,
		PATH: `${dirname(target.node)}${delimiter}${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_RUNNERS_BROKER_PORT: String(await quietPort()),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		NO_PROXY: '127.0.0.1,localhost',
		no_proxy: '127.0.0.1,localhost',
		...extra,
	};
	delete env.VITEST;
	delete env.VITEST_WORKER_ID;
	return env;
}

/** Runs one n8n command (`extra`: more environment, e.g. the database of a queue-mode cluster). */
export async function n8n(target: CliTarget, userFolder: string, args: string[], timeoutMs = 90_000, extra: NodeJS.ProcessEnv = {}): Promise<CliResult> {
	const env = await n8nEnv(target, userFolder, extra);
	return await new Promise((resolve, reject) => {
		const child = spawn(target.node, [n8nBin(target), ...args], { env, cwd: userFolder, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (d: Buffer) => (stdout += d));
		child.stderr.on('data', (d: Buffer) => (stderr += d));
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
			reject(new Error(`n8n ${args[0]} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
		}, timeoutMs);
		child.on('error', reject);
		child.on('close', (code) => {
			clearTimeout(timer);
			resolve({ code, stdout, stderr });
		});
	});
}

/** `n8n execute --rawOutput` prints log lines, then the run as JSON. */
export function parseRun(stdout: string): { data: { resultData: { runData: Record<string, { data?: { main: { json: Record<string, unknown>; binary?: Record<string, unknown> }[][] } }[]> } } } {
	// The JSON is pretty-printed from a line starting with "{" to one that is exactly "}"; log lines may follow.
	const start = stdout.search(/^\{/m);
	const end = stdout.indexOf('\n}', start);
	if (start < 0 || end < 0) throw new Error(`no JSON in n8n output:\n${stdout}`);
	return JSON.parse(stdout.slice(start, end + 2));
}

export function listExamples(): string[] {
	const dir = join(PKG_ROOT, 'examples-n8n');
	return readdirSync(dir)
		.filter((f) => f.endsWith('.json'))
		.sort()
		.map((f) => join(dir, f));
}

/** An HTTP server the workflows report to (an HTTP Request node posting $json): each body, with its path, in `outputs`. */
export async function startReceiver(): Promise<{ url: string; outputs: Record<string, any>[]; close(): void }> {
	const outputs: Record<string, any>[] = [];
	const server = createHttpServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			outputs.push({ path: req.url, ...JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') });
			res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		});
	});
	await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
	return {
		url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
		outputs,
		close: () => {
			server.closeAllConnections();
			server.close();
		},
	};
}

/**
 * Polls until `check` gives a value (generous: never used to assert a duration). On a timeout the error ends with
 * `context()` (e.g. the tail of n8n's log).
 */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 60_000, context: () => string = () => ''): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = await check();
		if (v !== undefined && v !== false) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}\n${context()}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/**
 * `until` whose timeout error ends with the tail of n8n's log (`log()`), also written to LIPSYNC_N8N_LOG_FILE when set.
 */
export function untilLogged(log: () => string, defaultMs = 60_000) {
	return <T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = defaultMs) =>
		until(check, what, ms, () => {
			if (process.env.LIPSYNC_N8N_LOG_FILE) writeFileSync(process.env.LIPSYNC_N8N_LOG_FILE, log());
			return `--- n8n log ---\n${log().slice(-4000)}`;
		});
}

export const PKG = '@lipsync-kit/n8n-nodes-lipsync';

/**
 * The workflow "Start (a POST webhook at `path`) -> Lip sync (Create and Wait from the body's videoUrl and
 * audioUrl, plus `parameters`) -> `report`".
 */
export function webhookLipSyncWorkflow(o: {
	id: string;
	name: string;
	path: string;
	webhookId: string;
	credentials: Record<string, { id: string; name: string }>;
	parameters: Record<string, unknown>;
	report: { name: string };
}) {
	return {
		id: o.id,
		name: o.name,
		active: false,
		settings: { executionOrder: 'v1' },
		connections: { Start: { main: [[{ node: 'Lip sync', type: 'main', index: 0 }]] }, 'Lip sync': { main: [[{ node: o.report.name, type: 'main', index: 0 }]] } },
		nodes: [
			{ id: 'start1', name: 'Start', type: 'n8n-nodes-base.webhook', typeVersion: 2, position: [0, 0], webhookId: o.webhookId, parameters: { httpMethod: 'POST', path: o.path, responseMode: 'onReceived', options: {} } },
			{
				id: 'lipsync1',
				name: 'Lip sync',
				type: `${PKG}.lipSync`,
				typeVersion: 1,
				position: [300, 0],
				credentials: o.credentials,
				parameters: { resource: 'job', operation: 'createAndWait', videoUrl: '={{ $json.body.videoUrl }}', audioUrl: '={{ $json.body.audioUrl }}', ...o.parameters },
			},
			o.report,
		],
	};
}

/** An HTTP Request node that posts its item's json to `${receiverUrl}/${tag}` (see startReceiver). */
export function reportNode(receiverUrl: string, name: string, tag: string, position: [number, number], id = `report${tag}`) {
	return {
		id,
		name,
		type: 'n8n-nodes-base.httpRequest',
		typeVersion: 4.2,
		position,
		parameters: { method: 'POST', url: `${receiverUrl}/${tag}`, sendBody: true, specifyBody: 'json', jsonBody: '={{ JSON.stringify($json) }}', options: {} },
	};
}

/** `n8n start` in the background; its stdout and stderr go to `output`. */
export function spawnN8nStart(target: CliTarget, userFolder: string, env: NodeJS.ProcessEnv, output: (text: string) => void): ChildProcess {
	const child = spawn(target.node, [n8nBin(target), 'start'], { env, cwd: userFolder, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout!.on('data', (d: Buffer) => output(String(d)));
	child.stderr!.on('data', (d: Buffer) => output(String(d)));
	return child;
}

/** Stops an n8n process with `signal` (SIGKILL after 15 s) and resolves once it has exited. */
export async function stopProcess(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
	if (!child || child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise((r) => child.once('exit', r));
	child.kill(signal);
	const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
	await exited;
	clearTimeout(timer);
}

/** Imports credentials and workflows into the user folder with the n8n CLI and publishes the given workflows. */
export async function importAndPublish(target: CliTarget, userFolder: string, credentials: unknown[], workflows: unknown[], publish: string[]): Promise<void> {
	writeFileSync(join(userFolder, 'credentials.json'), JSON.stringify(credentials));
	writeFileSync(join(userFolder, 'workflows.json'), JSON.stringify(workflows));
	for (const args of [
		['import:credentials', `--input=${join(userFolder, 'credentials.json')}`],
		['import:workflow', `--input=${join(userFolder, 'workflows.json')}`],
		...publish.map((id) => ['publish:workflow', `--id=${id}`]),
	]) {
		const r = await n8n(target, userFolder, args);
		if (r.code !== 0) throw new Error(`n8n ${args[0]} exited with ${r.code}\n${r.stdout}\n${r.stderr}`);
	}
}
