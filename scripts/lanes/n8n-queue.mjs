// Lane "n8n-queue": n8n's queue mode (test/n8n-queue): Redis and Postgres from the Debian packages (installed by
// .ci/run), one n8n 2.41 main and two workers on Node 24 (scripts/setup/00-node.sh, 30-n8n-cli.sh), started once
// for the lane by the test itself. Vitest runs on that Node 24 too; n8n runs as its child processes.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node24 = join(root, '.ci/extras/node24/node_modules/node/bin/node');
const needs = [
  ['Node 24', node24, 'bash scripts/setup-extras.sh'],
  ['n8n 2.41', join(root, '.ci/extras/n8n-node24/node_modules/n8n/bin/n8n'), 'bash scripts/setup-extras.sh'],
  ['redis-server', '/usr/bin/redis-server', 'apt-get install -y redis-server'],
];

export default {
  name: 'n8n-queue',
  available() {
    for (const [what, path, fix] of needs) if (!existsSync(path)) return `no ${what} at ${path}: ${fix}`;
    if (!existsSync('/usr/lib/postgresql')) return 'no postgresql (initdb, postgres): apt-get install -y postgresql';
    return true;
  },
  command() {
    return { cmd: node24, args: [join(root, 'node_modules/vitest/vitest.mjs'), 'run', '--config', 'vitest.queue.config.mts'], env: {} };
  },
};
