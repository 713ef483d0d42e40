import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';

export const SANDBOX_KEY = 'sandbox-key';

export interface SandboxFixture {
  /** The running sandbox (set before the file's first test). */
  sandbox: Sandbox;
  /** Closes `client` at the end of the file; returns it. */
  track<C extends { close(): Promise<void> }>(client: C): C;
}

/** One sandbox for the test file (jobs finish after `jobDurationMs`), its request log cleared before each test. */
export function useSandbox(jobDurationMs = 600): SandboxFixture {
  const clients: { close(): Promise<void> }[] = [];
  const fixture = {
    sandbox: undefined as unknown as Sandbox,
    track<C extends { close(): Promise<void> }>(client: C): C {
      clients.push(client);
      return client;
    },
  };
  beforeAll(async () => {
    fixture.sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs });
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fixture.sandbox?.close();
  });
  beforeEach(() => fixture.sandbox?.clearRequests());
  return fixture;
}
