// n8n's community-node lint for the n8n adapter (nodes/, credentials/, package.json): the ESLint config that
// `n8n-node lint` uses, in its variant WITHOUT n8n Cloud support (`configWithoutCloudSupport` from
// @n8n/node-cli/eslint, rules from @n8n/eslint-plugin-community-nodes' `recommendedWithoutN8nCloudSupport`).
// This package is a self-hosted community package, not eligible for n8n Cloud (see README), so the Cloud-only
// rules (no-restricted-globals, no-restricted-imports) are not part of that variant.
//
// The tooling lives outside the package's own devDependencies: scripts/setup/30-n8n-cli.sh installs
// @n8n/node-cli into .ci/extras/n8n-lint (its preinstall only allows pnpm, so it is installed without scripts).
// Run: .ci/extras/n8n-lint/node_modules/.bin/eslint nodes credentials package.json  (test/n8n/lint.test.ts does).
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const requireFromLint = createRequire(join(root, '.ci/extras/n8n-lint/package.json'));
const { configWithoutCloudSupport } = requireFromLint('@n8n/node-cli/eslint');

export default [
	// Only the n8n adapter is n8n node code. src/ is the host-free provider core shared with Node-RED (its own
	// timers and HTTP client are legitimate there), plus the Node-RED adapter and the sandbox.
	{ ignores: ['dist/**', 'node_modules/**', '.ci/**', 'src/**', 'test/**', 'bench/**', 'scripts/**', 'examples/**', 'vitest.config.mts'] },
	...configWithoutCloudSupport,
	{
		files: ['nodes/LipSync/methods/credentialTest.ts'],
		rules: {
			// Switched off here only: @n8n/community-nodes/no-deprecated-workflow-functions ('request').
			// Why: a node's credential test function gets ICredentialTestFunctions, whose helpers offer `request` and
			// nothing else in n8n-workflow 2.x (no httpRequest). The S3 storage credential needs such a function,
			// because its test request must be SigV4-signed, which a declarative `test` cannot do.
			'@n8n/community-nodes/no-deprecated-workflow-functions': 'off',
		},
	},
	{
		files: ['nodes/LipSync/LipSync.node.ts', 'nodes/LipSyncAkoolTrigger/LipSyncAkoolTrigger.node.ts'],
		rules: {
			// Switched off: @n8n/community-nodes/webhook-lifecycle-complete (wants webhookMethods checkExists/create/delete).
			// Why: Akool has no API to register, list or delete webhooks; the URL travels with each job (webhookUrl on
			// the create), so there is nothing to set up or clean up. The Lip Sync node's webhook is a restart webhook
			// (the execution's resume URL, like n8n's Wait node); the trigger's URL is given to jobs by the user, like
			// n8n's Webhook node. Neither has a lifecycle at the provider to implement.
			'@n8n/community-nodes/webhook-lifecycle-complete': 'off',
		},
	},
	{
		files: ['package.json'],
		rules: {
			// Switched off: @n8n/community-nodes/no-runtime-dependencies.
			// Why: the package is one tarball for n8n AND Node-RED with a shared provider core that needs zod
			// (input validation), undici (the Node-RED/standalone HTTP client) and aws4 (S3 presigned uploads).
			// Self-hosted n8n installs a community package with npm, dependencies included; inside n8n every
			// request still goes through n8n's own helpers (nodes/LipSync/transport). The rule exists for n8n
			// Cloud verification, which this package does not target (multi-provider, not one service).
			'@n8n/community-nodes/no-runtime-dependencies': 'off',
			// Switched off: @n8n/community-nodes/valid-author (wants an email in package.json "author").
			// Why: "author" is the maintainers' to fill in and no public contact email has been chosen yet. Temporary:
			// remove this line once author.email is set.
			'@n8n/community-nodes/valid-author': 'off',
		},
	},
];
