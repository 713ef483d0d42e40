/**
 * Drives the real n8n CLI (installed by scripts/setup/30-n8n-cli.sh) against a fresh user folder with our
 * packed package installed as a community package, the way a self-hosted user installs it.
 */
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { PKG_ROOT } from './paths';
import { EXTRAS } from './tools';

const run = promisify(execFile);

export interface CliTarget {
	label: string;
	/** The n8n install (.ci/extras/n8n-node20 or n8n-node24). */
	dir: string;
	/** The Node binary n8n runs on. */
	node: string;
}

export const TARGETS: CliTarget[] = [
	{ label: 'n8n 2.8.4 on Node 20', dir: join(EXTRAS, 'n8n-node20'), node: process.execPath },
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

/** Runs one n8n command with its own task-runner broker port (so n8n processes never collide). */
export async function n8n(target: CliTarget, userFolder: string, args: string[], timeoutMs = 90_000): Promise<CliResult> {
	const env: NodeJS.ProcessEnv = {
		...process.env,
		PATH: `${dirname(target.node)}${delimiter}${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		NO_PROXY: '127.0.0.1,localhost',
		no_proxy: '127.0.0.1,localhost',
	};
	delete env.VITEST;
	delete env.VITEST_WORKER_ID;
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
