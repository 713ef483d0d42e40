import type { ServerResponse } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciTransport, maybeCreated, type LipSyncError } from '../../src';
import { MEDIA, PROVIDERS, WIRE, clientFor, closeClients, json, startFake, type Fake, type Seen } from './support';

/**
 * The lost-job rules, made total: after a create that may have reached the provider, every way out is either the
 * job's id or the one non-retryable "may exist" error that maybeCreated() recognises; the create is never re-sent,
 * a recovered job is never handed to two callers, and a cancel stops every create not yet on the wire.
 */
let fake: Fake;
beforeAll(async () => {
  fake = await startFake();
});
afterEach(async () => {
  await closeClients();
  fake.seen.length = 0;
});
afterAll(() => fake.close());

const posts = () => fake.seen.filter((s) => s.method === 'POST').length;
const until = async (check: () => boolean, what: string, ms = 20_000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

function expectMayExist(err: LipSyncError) {
  expect(err.name).toBe('LipSyncError');
  expect(maybeCreated(err)).toBe(true);
  expect(err.maybeCreated).toBe(true);
  expect(err.toJSON().maybeCreated).toBe(true);
  expect(err.retryable).toBe(false);
  expect(err.message).toMatch(/may have (reached|created)/);
}

describe('a recovery that cannot finish still says the job may exist', () => {
  it('chamelaion: the create answer is lost and every lookup fails with a 500: "may exist", not retryable, one POST', async () => {
    fake.handle((req, res, seen) => {
      if (WIRE.chamelaion.isCreate(seen)) return void req.socket.destroy();
      json(res, 500, { error: 'lookup backend down' });
    });
    const err: LipSyncError = await clientFor('chamelaion', fake, { retry: { maxRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } })
      .createJob(MEDIA)
      .catch((e) => e);
    expectMayExist(err);
    expect(err.message).toMatch(/last lookup failed/);
    expect(posts()).toBe(1);
  });

  it('joggai: a cancel in the pause between lookups ends as ABORTED that says the job may exist', async () => {
    const ctl = new AbortController();
    fake.handle((req, res, seen) => {
      if (WIRE.joggai.isCreate(seen)) return void req.socket.destroy();
      // The lookup finds nothing yet; cancel right after the first one.
      json(res, 200, { code: 10104, msg: 'not found' });
      setTimeout(() => ctl.abort(), 20);
    });
    const err: LipSyncError = await clientFor('joggai', fake).createJob(MEDIA, { signal: ctl.signal }).catch((e) => e);
    expect(err.code).toBe('ABORTED');
    expectMayExist(err);
    expect(posts()).toBe(1);
  });
});

describe('a 200 create answer whose id is odd', () => {
  for (const provider of PROVIDERS) {
    it(`${provider}: a numeric id is accepted as the job's id`, async () => {
      fake.handle((_req, res, seen) => json(res, 200, WIRE[provider].isCreate(seen) ? WIRE[provider].job(987654321, 'queued') : {}));
      const job = await clientFor(provider, fake).createJob(MEDIA);
      expect(job.id).toBe('987654321');
    });

    it(`${provider}: a missing id is never discarded silently: the job is recovered or the error says it may exist`, async () => {
      fake.handle((_req, res, seen) => {
        if (WIRE[provider].isCreate(seen)) return json(res, 200, WIRE[provider].job(undefined, 'queued'));
        // Lookups (where the provider has them) find the job the create made.
        json(res, 200, WIRE[provider].job('found-1', 'queued'));
      });
      const out = await clientFor(provider, fake).createJob(MEDIA).catch((e) => e as LipSyncError);
      if ('status' in out && typeof out.status === 'string') expect(out.id).toBe('found-1');
      else expectMayExist(out as LipSyncError);
      expect(posts()).toBe(1);
    });
  }

  it('a dot-segment id in a create answer is not used as an id', async () => {
    fake.handle((_req, res, seen) => json(res, 200, WIRE['fishaudio-v1'].isCreate(seen) ? WIRE['fishaudio-v1'].job('..', 'queued') : {}));
    const err: LipSyncError = await clientFor('fishaudio-v1', fake).createJob(MEDIA).catch((e) => e);
    expectMayExist(err);
  });
});

describe('JoggAI recovery never hands one job to two callers', () => {
  it('two creates with the same inputs at once, the first answer lost: the second keeps its job, the first says "may exist"', async () => {
    const held: { res: ServerResponse; seen: Seen; req: import('node:http').IncomingMessage }[] = [];
    fake.handle((req, res, seen) => {
      if (WIRE.joggai.isCreate(seen)) {
        held.push({ req, res, seen });
        if (held.length === 2) {
          // Answer the second create, then lose the first one's answer: the latest task is the second's.
          json(held[1]!.res, 200, WIRE.joggai.job('job-second', 'queued'));
          setTimeout(() => held[0]!.req.socket.destroy(), 50);
        }
        return;
      }
      json(res, 200, WIRE.joggai.job('job-second', 'queued'));
    });
    const c = clientFor('joggai', fake);
    const first = c.createJob(MEDIA).catch((e) => e as LipSyncError);
    await until(() => held.length === 1, 'first create');
    const second = await c.createJob(MEDIA);
    expect(second.id).toBe('job-second');
    const err = (await first) as LipSyncError;
    expectMayExist(err);
    expect(err.message).toMatch(/belongs to another create/);
    expect(posts()).toBe(2);
  });

  it('a task created before this create was sent is not taken for it', async () => {
    fake.handle((req, res, seen) => {
      if (WIRE.joggai.isCreate(seen)) return void req.socket.destroy();
      const body = WIRE.joggai.job('job-old', 'completed') as { data: { created_at: number } };
      body.data.created_at = Math.floor(Date.now() / 1000) - 30;
      json(res, 200, body);
    });
    const err: LipSyncError = await clientFor('joggai', fake).createJob(MEDIA).catch((e) => e);
    expectMayExist(err);
    expect(err.message).not.toContain('job-old');
  });
});

describe('a cancel stops every create that is not on the wire yet', () => {
  it('200 creates on one signal, 4 connections: only the 4 on the wire reach the provider, and they keep their ids', async () => {
    const held: ServerResponse[] = [];
    let n = 0;
    fake.handle((_req, res, seen) => {
      if (WIRE.chamelaion.isCreate(seen)) held.push(res);
    });
    const ctl = new AbortController();
    // A client on its own small pool: 4 sockets.
    const transport = createUndiciTransport({ connections: 4 });
    const small = clientFor('chamelaion', fake, { transport, createAbortGraceMs: 10_000 });
    const results = Array.from({ length: 200 }, () => small.createJob(MEDIA, { signal: ctl.signal }).catch((e) => e as LipSyncError));
    await until(() => held.length === 4, '4 creates on the wire');
    ctl.abort();
    // The ones on the wire answer within the grace.
    await new Promise((r) => setTimeout(r, 200));
    for (const res of held) json(res, 200, WIRE.chamelaion.job(`job-${++n}`, 'queued'));
    const outcomes = await Promise.all(results);
    await new Promise((r) => setTimeout(r, 300));
    expect(posts()).toBe(4);
    const created = outcomes.filter((o) => !(o instanceof Error));
    expect(created.map((j) => (j as { id: string }).id).sort()).toEqual(['job-1', 'job-2', 'job-3', 'job-4']);
    const refused = outcomes.filter((o) => o instanceof Error) as LipSyncError[];
    expect(refused).toHaveLength(196);
    for (const e of refused) {
      expect(e.code).toBe('ABORTED');
      expect(maybeCreated(e)).toBe(false);
      expect(e.message).toMatch(/before the create request was sent: no job was made/);
    }
    await transport.close();
  });
});
