/**
 * A long-running `n8n start` on a free loopback port, for tests that talk to n8n's HTTP side (webhooks, the
 * editor). The user folder is prepared by the caller (cli.ts: newUserFolder, import:*).
 */
import { type CliTarget, n8nEnv, quietPort, spawnN8nStart, stopProcess, until } from './cli';

export { until };

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
	const env = await n8nEnv(target, userFolder, {
		N8N_PORT: String(port),
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		WEBHOOK_URL: `${base}/`,
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_LEVEL: process.env.LIPSYNC_N8N_LOG_LEVEL ?? 'warn',
		...options.env,
	});
	const child = spawnN8nStart(target, userFolder, env, (text) => (log += text));
	const ready =
		options.ready ??
		(async (b: string) => {
			// /healthz/readiness (and a "starting up" page) answer before the REST API is mounted.
			const r = await fetch(`${b}/rest/settings`).catch(() => undefined);
			const body = r?.ok ? ((await r.json().catch(() => undefined)) as { data?: unknown } | undefined) : undefined;
			return body?.data !== undefined;
		});
	const stop = () => stopProcess(child);
	try {
		await until(
			async () => ((await ready(base)) ? true : child.exitCode !== null ? Promise.reject(new Error(`n8n exited (${child.exitCode})\n${log}`)) : undefined),
			'n8n to start',
			120_000,
			() => `--- log ---\n${log.slice(-4000)}`,
		);
	} catch (error) {
		await stop();
		throw error;
	}
	return { base, log: () => log, stop };
}
