import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import type { SandboxOptions } from '../../src/sandbox/types';

export const SANDBOX_KEY = 'sandbox-key';

export interface SandboxFixture {
  /** The running sandbox (set before the file's first test). */
  sandbox: Sandbox;
  /** Closes `client` at the end of the file; returns it. */
  track<C extends { close(): Promise<void> }>(client: C): C;
}

/**
 * One sandbox for the test file, started before its first test and closed (with the tracked clients) after its
 * last; with `clearRequests`, its request log is emptied before each test.
 */
export function sandboxFixture(options: SandboxOptions = {}, { clearRequests = true } = {}): SandboxFixture {
  const clients: { close(): Promise<void> }[] = [];
  const fixture = {
    sandbox: undefined as unknown as Sandbox,
    track<C extends { close(): Promise<void> }>(client: C): C {
      clients.push(client);
      return client;
    },
  };
  beforeAll(async () => {
    fixture.sandbox = await startSandbox(options);
  });
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await fixture.sandbox?.close();
  });
  if (clearRequests) beforeEach(() => fixture.sandbox?.clearRequests());
  return fixture;
}
