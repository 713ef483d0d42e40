import { describe, expect, it } from 'vitest';
import { ConcurrencyLimit, ERROR_CODES } from '../../src/core';

const turn = () => new Promise((r) => setImmediate(r));

describe('ConcurrencyLimit', () => {
  it('lets at most `size` holders in at once, the waiters in the order they asked', async () => {
    const limit = new ConcurrencyLimit(2);
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const all = Array.from({ length: 5 }, (_, i) => limit.acquire().then((release) => (order.push(i), releases.push(release))));
    await turn();
    expect(order).toEqual([0, 1]);
    expect(limit.queued).toBe(3);
    releases[1]!();
    releases[1]!(); // a second call gives nothing back twice
    await turn();
    expect(order).toEqual([0, 1, 2]);
    releases[0]!();
    releases[2]!();
    await turn();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    await Promise.all(all);
  });

  it('drops an aborted waiter from the queue without holding up the next one', async () => {
    const limit = new ConcurrencyLimit(1);
    const first = await limit.acquire();
    const ac = new AbortController();
    const aborted = limit.acquire(ac.signal).catch((e: { code?: string }) => e.code);
    const next = limit.acquire();
    ac.abort();
    expect(await aborted).toBe(ERROR_CODES.ABORTED);
    first();
    await expect(next).resolves.toBeTypeOf('function');
    expect(limit.queued).toBe(0);
  });

  it('never queues without a limit', async () => {
    const limit = new ConcurrencyLimit(Infinity);
    await Promise.all(Array.from({ length: 1000 }, () => limit.acquire()));
    expect(limit.queued).toBe(0);
  });
});
