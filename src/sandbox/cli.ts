#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { startSandbox } from './server';
import { SANDBOX_PROVIDERS, type SandboxOptions } from './types';

/** `lipsync-sandbox`: runs the sandbox until SIGINT/SIGTERM. */

const USAGE = `Usage: lipsync-sandbox [--port 4010] [--host 127.0.0.1] [--key sandbox-key] [--job-duration 3000] [--akool-client-id ID] [--log]

A loopback server that speaks the wire formats of Fish Audio (open and v1 APIs), Akool, Chamelaion and JoggAI.
Point a client's base URL at the printed address and use the key. The key "sandbox-no-credits" gets each
provider's out-of-credits error; any other key its auth error. Akool jobs created with a webhookUrl get
Akool's signed, encrypted callbacks, signed with --akool-client-id and the key (which must then have 16, 24 or
32 characters, like Akool's client secret).`;

export function parseCliArgs(argv: string[]): SandboxOptions & { help: boolean } {
  const { values } = parseArgs({
    args: argv,
    options: {
      port: { type: 'string', default: '4010' },
      host: { type: 'string', default: '127.0.0.1' },
      key: { type: 'string', default: 'sandbox-key' },
      'job-duration': { type: 'string', default: '3000' },
      'akool-client-id': { type: 'string' },
      log: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const number = (name: string, value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a whole number >= 0, got "${value}"`);
    return n;
  };
  return {
    port: number('port', values.port!),
    host: values.host!,
    apiKey: values.key!,
    jobDurationMs: number('job-duration', values['job-duration']!),
    akoolClientId: values['akool-client-id'],
    logRequests: values.log!,
    help: values.help!,
  };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseCliArgs>;
  try {
    options = parseCliArgs(process.argv.slice(2));
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  const sandbox = await startSandbox(options);
  const width = Math.max(...SANDBOX_PROVIDERS.map((p) => p.length));
  console.log(`lipsync sandbox on ${sandbox.url} (API key "${options.apiKey}", jobs take ${options.jobDurationMs} ms)`);
  for (const p of SANDBOX_PROVIDERS) console.log(`  ${p.padEnd(width)}  ${sandbox.baseUrl(p)}`);
  console.log(`  ${'media'.padEnd(width)}  ${sandbox.url}/media/sample.mp4  ${sandbox.url}/media/sample.wav`);
  console.log(`  ${'control'.padEnd(width)}  ${sandbox.url}/__sandbox`);
  const stop = () => {
    void sandbox.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    console.error(`lipsync-sandbox: ${(e as Error).message}`);
    process.exit(1);
  });
}
