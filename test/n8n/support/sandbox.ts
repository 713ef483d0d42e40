import { afterAll, beforeAll } from 'vitest';
import { startSandbox } from '../../../src/sandbox';
import type { Sandbox } from '../../../src/sandbox/types';
import { loadPackage, removeUserFolder } from './engine';

/** Starts a sandbox (and loads the package into n8n's loader) for one test file; `set` receives it. */
export function useSandbox(options: { jobDurationMs: number; resultBytes?: number }, set: (sandbox: Sandbox) => void): void {
	let started: Sandbox | undefined;
	beforeAll(async () => {
		await loadPackage();
		started = await startSandbox(options);
		set(started);
	});
	afterAll(async () => {
		await started?.close();
		removeUserFolder();
	});
}
