/**
 * A long-running `n8n start` on a free loopback port, for tests that talk to n8n's HTTP side (webhooks, the
 * editor). The user folder is prepared by the caller (cli.ts: newUserFolder, import:*).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createNetServer } from 'node:net';
import { delimiter, dirname } from 'node:path';
import { type CliTarget, n8nBin } from './cli';

/**
 * A free port below Linux's ephemeral range (32768-60999). n8n binds its port seconds after we pick it; a port from
 * the ephemeral range can meanwhile become the source port of an outgoing connection, and the test would then talk
 * to something that is not n8n.
 */
export async function quietPort(): Promise<number> {
	for (;;) {
		const port = 20_000 + Math.floor(Math.random() * 10_000);
		const free = await new Promise<boolean>((resolve) => {
			const probe = createNetServer();
			probe.once('error', () => resolve(false));
			probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
		});
		if (free) return port;
	}
}

/** Polls until `check` gives a value (generous: never used to assert a duration). */
export async function until<T>(check: () => T | undefined | Promise<T | undefined>, what: string, ms = 60_000, log?: () => string): Promise<T> {
	const end = Date.now() + ms;
	for (;;) {
		const v = await check();
		if (v !== undefined) return v;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}${log ? `\n--- log ---\n${log().slice(-4000)}` : ''}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

export interface N8nServer {
	base: string;
	log(): string;
	stop(): Promise<void>;
}

/** `n8n start` in `userFolder`; resolves when `ready(base)` says so (default: its REST API answers). */
export async function startN8nServer(
	target: CliTarget,
	userFolder: string,
	options: { env?: NodeJS.ProcessEnv; ready?: (base: string) => Promise<boolean> } = {},
): Promise<N8nServer> {
	let log = '';
	const port = await quietPort();
	const base = `http://127.0.0.1:${port}`;
	const env: NodeJS.ProcessEnv = {
		...process.env,
		PATH: `${dirname(target.node)}${delimiter}${process.env.PATH ?? ''}`,
		NODE_ENV: 'production',
		N8N_USER_FOLDER: userFolder,
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		WEBHOOK_URL: `${base}/`,
		N8N_RUNNERS_BROKER_PORT: String(await quietPort()),
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: process.env.LIPSYNC_N8N_LOG_LEVEL ?? 'warn',
		NO_PROXY: '127.0.0.1,localhost',
		no_proxy: '127.0.0.1,localhost',
		...options.env,
	};
	delete env.VITEST;
	delete env.VITEST_WORKER_ID;
	const child: ChildProcess = spawn(target.node, [n8nBin(target), 'start'], { env, cwd: userFolder, stdio: ['ignore', 'pipe', 'pipe'] });
	child.stdout!.on('data', (d: Buffer) => (log += d));
	child.stderr!.on('data', (d: Buffer) => (log += d));
	const ready =
		options.ready ??
		(async (b: string) => {
			// /healthz/readiness (and a "starting up" page) answer before the REST API is mounted.
			const r = await fetch(`${b}/rest/settings`).catch(() => undefined);
			const body = r?.ok ? ((await r.json().catch(() => undefined)) as { data?: unknown } | undefined) : undefined;
			return body?.data !== undefined;
		});
	const stop = async () => {
		if (child.exitCode === null && child.signalCode === null) {
			const exited = new Promise((r) => child.once('exit', r));
			child.kill('SIGTERM');
			const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
			await exited;
			clearTimeout(timer);
		}
	};
	try {
		await until(async () => ((await ready(base)) ? true : child.exitCode !== null ? Promise.reject(new Error(`n8n exited (${child.exitCode})\n${log}`)) : undefined), 'n8n to start', 120_000, () => log);
	} catch (error) {
		await stop();
		throw error;
	}
	return { base, log: () => log, stop };
}
