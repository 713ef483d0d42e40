// Every client of one account in a process shares its create limiter, also when the host gives the clients its own
// (real-time) delay, as the n8n node does: each n8n execution builds its clients anew, and two executions on one
// JoggAI key must not send 40 creates in a minute against the documented 20.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLipSyncClient } from '../../src';
import type { Delay } from '../../src/core';
import { openSandbox } from '../sandbox/support';

let ctx: Awaited<ReturnType<typeof openSandbox>>;
beforeAll(async () => {
  ctx = await openSandbox();
});
afterAll(async () => {
  await ctx.sandbox.close();
});

/** A host's delay: real for short waits; a wait of a limiter window is reported instead of slept. */
class HeldByLimiter extends Error {}
const hostDelay: Delay = async (ms, signal) => {
  if (ms > 5_000) throw new HeldByLimiter(`asked to wait ${ms} ms`);
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(timer), reject(signal.reason)), { once: true });
  });
};

describe('the create limiter of one account', () => {
  it('is shared by clients made with the same host delay (two n8n executions on one JoggAI key)', async () => {
    const account = { provider: 'joggai' as const, apiKey: 'sandbox-key', baseUrl: ctx.sandbox.baseUrl('joggai'), delay: hostDelay };
    const first = createLipSyncClient(account);
    const second = createLipSyncClient(account);
    const input = { videoUrl: ctx.video, audioUrl: ctx.audio };
    for (let i = 0; i < 20; i++) await first.createJob(input);
    const before = ctx.sandbox.jobCount('joggai');
    // The 21st create of the minute, from the other client, waits for the window instead of being sent now.
    await expect(second.createJob(input)).rejects.toBeInstanceOf(HeldByLimiter);
    expect(ctx.sandbox.jobCount('joggai')).toBe(before);
    await Promise.all([first.close(), second.close()]);
  }, 60_000);

});
