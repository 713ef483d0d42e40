// Lane "node24": the Node-RED tests (test/node-red, and the Node-RED editor in a browser) on the current Node-RED
// 5 line and Node 24 (Node-RED 5 needs Node 22.9+; the main lane covers Node-RED 4 on Node 22). Runs vitest under
// the Node 24 binary from scripts/setup/00-node.sh, against node-red 5 and its test helper
// from scripts/setup/20-node-red5.sh; the tests pick that install up from LIPSYNC_NODE_RED_DIR.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const node24 = join(root, '.ci/extras/node24/node_modules/node/bin/node');
const redDir = join(root, '.ci/extras/node-red5');

export default {
  name: 'node24',
  available() {
    if (!existsSync(node24)) return `no Node 24 at ${node24}: run bash scripts/setup-extras.sh`;
    for (const pkg of ['node-red', 'node-red-node-test-helper']) {
      if (!existsSync(join(redDir, 'node_modules', pkg, 'package.json'))) return `no ${pkg} in ${redDir}: run bash scripts/setup-extras.sh`;
    }
    return true;
  },
  command() {
    return {
      cmd: node24,
      args: [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'test/node-red', 'test/browser/node-red-editor.test.ts'],
      env: { LIPSYNC_NODE_RED_DIR: redDir },
    };
  },
};
