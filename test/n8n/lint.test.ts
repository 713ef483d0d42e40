// n8n's community-node lint (eslint.config.mjs: @n8n/node-cli's config without n8n Cloud support) over the n8n
// adapter, counted as a test so `npm test` fails on any lint error.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PKG_ROOT } from './support/paths';
import { EXTRAS, inCi, missing } from './support/tools';

const eslint = join(EXTRAS, 'n8n-lint', 'node_modules', '.bin', 'eslint');
const absent = missing([eslint, join(EXTRAS, 'n8n-lint', 'node_modules', '@n8n', 'node-cli', 'package.json')], 'The n8n lint tooling (@n8n/node-cli)');
if (absent && !inCi) console.warn(`[n8n lint] skipped: ${absent}`);

interface EslintResult {
	filePath: string;
	errorCount: number;
	warningCount: number;
	messages: { ruleId: string | null; severity: number; message: string; line: number }[];
}

describe.skipIf(Boolean(absent) && !inCi)('n8n community-node lint', () => {
	it('reports no errors in nodes/, credentials/ and package.json', () => {
		expect(absent, absent).toBeUndefined();
		// eslint-plugin-n8n-nodes-base switches to a self-test mode when NODE_ENV is "test", as vitest sets it.
		const env = { ...process.env, NODE_ENV: 'production' };
		const run = spawnSync(eslint, ['--format', 'json', 'nodes', 'credentials', 'package.json'], { cwd: PKG_ROOT, encoding: 'utf8', env });
		expect(run.stdout, run.stderr).toMatch(/^\[/);
		const results = JSON.parse(run.stdout) as EslintResult[];
		const linted = results.map((r) => r.filePath.slice(PKG_ROOT.length + 1));
		// The files n8n loads are really linted (a broken config or ignore list would lint nothing).
		expect(linted).toEqual(expect.arrayContaining(['nodes/LipSync/LipSync.node.ts', 'nodes/LipSync/actions/router.ts', 'credentials/LipSyncKitAkoolApi.credentials.ts', 'package.json']));
		const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.ruleId}: ${m.message}`));
		expect(errors).toEqual([]);
	});
});
