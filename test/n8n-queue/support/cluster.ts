/**
 * An n8n queue-mode cluster on loopback, the way an agency runs it: Redis (the queue) and Postgres (the database)
 * started from the Debian packages' binaries into temp dirs, one `n8n start` (main: editor, webhooks, triggers) and
 * workers (`n8n worker`), each with its own user folder holding the packed package as a community package (separate
 * machines share nothing but Redis, Postgres and the encryption key). Everything binds 127.0.0.1 on free ports and is
 * stopped by `stop()`.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type CliTarget, installCommunityPackage, n8n, n8nBin, n8nEnv, newUserFolder, packPackage, quietPort, until } from '../../n8n/support/cli';

const run = promisify(execFile);

/** Where the Debian packages put the binaries (`apt-get install -y redis-server postgresql`, done by .ci/run). */
export function serviceBinaries(): { redis?: string; pgBin?: string } {
	const redis = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => existsSync(p));
	const base = '/usr/lib/postgresql';
	const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a)) : [];
	return { redis, pgBin: versions[0] ? join(base, versions[0], 'bin') : undefined };
}

/** Why the cluster cannot start here, or undefined. */
export function clusterMissing(target: CliTarget): string | undefined {
	const { redis, pgBin } = serviceBinaries();
	const absent = [
		...(redis ? [] : ['redis-server']),
		...(pgBin ? [] : ['postgresql (initdb, postgres)']),
		...[n8nBin(target), target.node].filter((p) => !existsSync(p)),
	];
	return absent.length ? `queue mode needs ${absent.join(', ')}: apt-get install -y redis-server postgresql; bash scripts/setup/30-n8n-cli.sh` : undefined;
}

export interface Proc {
	readonly name: string;
	readonly child: ChildProcess;
	/** stdout and stderr so far. */
	log: string;
	readonly exited: Promise<void>;
}

function startProc(name: string, cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Proc {
	const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
	const proc: Proc = { name, child, log: '', exited: new Promise<void>((r) => child.once('exit', () => r())) };
	child.stdout!.on('data', (d: Buffer) => (proc.log += d));
	child.stderr!.on('data', (d: Buffer) => (proc.log += d));
	child.on('error', (e) => (proc.log += `\n[spawn error] ${e.message}`));
	return proc;
}

async function stopProc(proc: Proc | undefined, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20_000): Promise<void> {
	if (!proc || proc.child.exitCode !== null || proc.child.signalCode !== null) return;
	proc.child.kill(signal);
	const timer = setTimeout(() => proc.child.kill('SIGKILL'), graceMs);
	await proc.exited;
	clearTimeout(timer);
}

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
/** Postgres refuses to run as root: as root, its commands run as the `postgres` user the package created. */
const asPostgres = (cmd: string, args: string[]): [string, string[]] => (isRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args]);

export interface Services {
	redisPort: number;
	pgPort: number;
	/** One SQL statement through psql; rows as lines, columns separated by |. */
	sql(statement: string): Promise<string>;
	stop(): Promise<void>;
}

export async function startServices(): Promise<Services> {
	const { redis, pgBin } = serviceBinaries();
	if (!redis || !pgBin) throw new Error('redis-server and postgresql are not installed: apt-get install -y redis-server postgresql');
	const dir = mkdtempSync(join(tmpdir(), 'lipsync-queue-svc-'));
	const procs: Proc[] = [];
	const stop = async () => {
		// Postgres: a fast shutdown (SIGINT to the postmaster, whose pid is the first line of postmaster.pid).
		const pidFile = join(dir, 'pg', 'postmaster.pid');
		if (existsSync(pidFile)) {
			try {
				process.kill(Number(readFileSync(pidFile, 'utf8').split('\n')[0]), 'SIGINT');
			} catch {
				/* already gone */
			}
		}
		await Promise.all(procs.map((p) => stopProc(p)));
		rmSync(dir, { recursive: true, force: true });
	};
	try {
		const redisPort = await quietPort();
		const r = startProc('redis', redis, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir]);
		procs.push(r);
		await until(() => (/Ready to accept connections/.test(r.log) ? true : undefined), 'redis-server to start', 30_000, () => `\n${r.log}`);

		if (isRoot) chownSync(dir, Number((await run('id', ['-u', 'postgres'])).stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim()));
		const data = join(dir, 'pg');
		const [initCmd, initArgs] = asPostgres(join(pgBin, 'initdb'), ['-D', data, '-U', 'n8n', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions']);
		await run(initCmd, initArgs, { maxBuffer: 4 * 1024 * 1024 });
		const pgPort = await quietPort();
		const [pgCmd, pgArgs] = asPostgres(join(pgBin, 'postgres'), [
			'-D', data, '-p', String(pgPort), '-c', 'listen_addresses=127.0.0.1', '-c', `unix_socket_directories=${dir}`,
			'-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=100',
		]);
		const pg = startProc('postgres', pgCmd, pgArgs, { cwd: dir });
		procs.push(pg);
		await until(() => (/ready to accept connections/.test(pg.log) ? true : undefined), 'postgres to start', 60_000, () => `\n${pg.log}`);
		const psql = join(pgBin, 'psql');
		const sql = async (statement: string, db = 'n8n') =>
			(await run(psql, ['-h', '127.0.0.1', '-p', String(pgPort), '-U', 'n8n', '-d', db, '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', statement])).stdout.trim();
		await sql('CREATE DATABASE n8n', 'postgres');
		return { redisPort, pgPort, sql: (s) => sql(s), stop };
	} catch (e) {
		await stop();
		throw e;
	}
}

export interface N8nProcess extends Proc {
	/** What `$env.LIPSYNC_WORKER` says in this process's executions ('main', 'A', 'B', ...). */
	readonly label: string;
	/** main: the editor/webhook URL; worker: its health-check server. */
	readonly url: string;
}

export interface ClusterOptions {
	target: CliTarget;
	/** Credentials as `n8n import:credentials` takes them (plain data). */
	credentials: unknown[];
	/** Workflows to import and publish (each with an `id`). */
	workflows: { id: string }[];
	workers: string[];
	/** Executions one worker runs at once (`n8n worker --concurrency`). */
	concurrency: number;
	/** More environment for every n8n process. */
	env?: NodeJS.ProcessEnv;
}

export interface Cluster {
	services: Services;
	main: N8nProcess;
	workers: Map<string, N8nProcess>;
	/** Starts (again) the worker with this label, and resolves once it is ready for jobs. */
	startWorker(label: string): Promise<N8nProcess>;
	/** Every n8n log so far, labelled (for failure messages). */
	logs(tail?: number): string;
	stop(): Promise<void>;
}

export async function startCluster(options: ClusterOptions): Promise<Cluster> {
	const { target } = options;
	const temp: string[] = [];
	let services: Services | undefined;
	let main: N8nProcess | undefined;
	const workers = new Map<string, N8nProcess>();
	const stop = async () => {
		// Workers first (they finish or give back their jobs), then main, then the services.
		await Promise.all([...workers.values()].map((w) => stopProc(w)));
		await stopProc(main);
		await services?.stop();
		for (const d of temp) rmSync(d, { recursive: true, force: true });
	};
	const began = Date.now();
	const timings: string[] = [];
	const step = (what: string) => timings.push(`${what} ${((Date.now() - began) / 1000).toFixed(1)} s`);
	const logs = (tail = 3000) => [main, ...workers.values()].filter(Boolean).map((p) => `--- ${p!.name} ---\n${p!.log.slice(-tail)}`).join('\n');
	try {
		services = await startServices();
		step('redis+postgres');
		const tarball = await packPackage();
		const nodesDir = await installCommunityPackage(tarball);
		temp.push(dirname(tarball), dirname(nodesDir));
		step('pack+install');
		const shared: NodeJS.ProcessEnv = {
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(services.redisPort),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(services.pgPort),
			DB_POSTGRESDB_DATABASE: 'n8n',
			DB_POSTGRESDB_USER: 'n8n',
			DB_POSTGRESDB_PASSWORD: 'n8n',
			// Every instance must decrypt the credentials main stored.
			N8N_ENCRYPTION_KEY: randomBytes(24).toString('hex'),
			// Queue mode cannot use filesystem binary data (each worker has its own disk); n8n 2.x's default there.
			N8N_DEFAULT_BINARY_DATA_MODE: 'database',
			// The test workflows report which process ran them ($env.LIPSYNC_WORKER).
			N8N_BLOCK_ENV_ACCESS_IN_NODE: 'false',
			N8N_LOG_LEVEL: process.env.LIPSYNC_N8N_LOG_LEVEL ?? 'info',
			...options.env,
		};

		const mainFolder = newUserFolder(nodesDir);
		temp.push(mainFolder);
		writeFileSync(join(mainFolder, 'credentials.json'), JSON.stringify(options.credentials));
		writeFileSync(join(mainFolder, 'workflows.json'), JSON.stringify(options.workflows));
		for (const args of [
			['import:credentials', `--input=${join(mainFolder, 'credentials.json')}`],
			['import:workflow', `--input=${join(mainFolder, 'workflows.json')}`],
		]) {
			const r = await n8n(target, mainFolder, args, 180_000, shared);
			if (r.code !== 0) throw new Error(`n8n ${args.join(' ')} failed (${r.code})\n${r.stdout}\n${r.stderr}`);
			step(args[0]!);
		}
		// What `n8n publish:workflow --id=…` does (WorkflowRepository.publishVersion), for all of them in one statement:
		// each CLI run boots n8n, ~20 s apiece on a loaded 2-core machine.
		const ids = options.workflows.map((w) => `'${w.id}'`).join(',');
		const published = await services.sql(`UPDATE workflow_entity SET active = true, "activeVersionId" = "versionId" WHERE id IN (${ids}) AND "versionId" IN (SELECT "versionId" FROM workflow_history) RETURNING id`);
		if (published.split('\n').filter(Boolean).length !== options.workflows.length) throw new Error(`publishing the workflows failed: only ${published || 'none'}`);
		step('publish');

		const mainPort = await quietPort();
		const mainUrl = `http://127.0.0.1:${mainPort}`;
		const mainEnv = await n8nEnv(target, mainFolder, {
			...shared,
			N8N_PORT: String(mainPort),
			N8N_LISTEN_ADDRESS: '127.0.0.1',
			WEBHOOK_URL: `${mainUrl}/`,
			LIPSYNC_WORKER: 'main',
		});
		main = Object.assign(startProc('main', target.node, [n8nBin(target), 'start'], { env: mainEnv, cwd: mainFolder }), { label: 'main', url: mainUrl });
		await until(
			async () => ((await fetch(`${mainUrl}/healthz/readiness`).catch(() => undefined))?.status === 200 ? true : undefined),
			'n8n main to be ready',
			180_000,
			() => `\n${logs()}`,
		);
		step('main');

		const startWorker = async (label: string): Promise<N8nProcess> => {
			const old = workers.get(label);
			if (old && old.child.exitCode === null && old.child.signalCode === null) throw new Error(`worker ${label} is running`);
			const folder = newUserFolder(nodesDir);
			temp.push(folder);
			const port = await quietPort();
			const env = await n8nEnv(target, folder, {
				...shared,
				QUEUE_HEALTH_CHECK_ACTIVE: 'true',
				QUEUE_HEALTH_CHECK_PORT: String(port),
				N8N_WORKER_SERVER_ADDRESS: '127.0.0.1',
				// Resume URLs ($execution.resumeUrl, Akool's webhookUrl) are built by the worker that runs the node:
				// they must point at main, which receives the webhooks.
				WEBHOOK_URL: `${mainUrl}/`,
				LIPSYNC_WORKER: label,
			});
			const url = `http://127.0.0.1:${port}`;
			const w = Object.assign(startProc(`worker ${label}`, target.node, [n8nBin(target), 'worker', `--concurrency=${options.concurrency}`], { env, cwd: folder }), { label, url });
			workers.set(label, w);
			await until(
				async () => ((await fetch(`${url}/healthz/readiness`).catch(() => undefined))?.status === 200 ? true : undefined),
				`worker ${label} to be ready`,
				180_000,
				() => `\n${logs()}`,
			);
			return w;
		};
		// Together: main has migrated the database already (workers starting on a fresh one can trip over each other).
		await Promise.all(options.workers.map(async (label) => {
			await startWorker(label);
			step(`worker ${label}`);
		}));
		console.log(`[queue mode] cluster up: ${timings.join(', ')}`);
		return { services, main, workers, startWorker, logs, stop };
	} catch (e) {
		const why = logs();
		await stop();
		throw Object.assign(e as Error, { message: `${(e as Error).message}\n${why}` });
	}
}
