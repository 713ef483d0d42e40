// The sandbox in its own process (see startSandboxProcess): options as JSON in argv[2]; runs until stdin closes.
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const { startSandbox } = require('../../dist/src/sandbox/index.js');

const sandbox = await startSandbox(JSON.parse(process.argv[2] ?? '{}'));
process.stdout.write(`SANDBOX ${sandbox.url}\n`);
process.stdin.resume();
process.stdin.on('end', () => sandbox.close().then(() => process.exit(0)));
