import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { WaitJournal } from '../../dist/src/node-red/lib/journal';

/** The journal file on its own: bounded in size, and read back by the next process as it was written. */
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function file(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lipsync-journal-'));
  dirs.push(dir);
  return join(dir, 'lipsync-waits.json');
}

it('past its size bound, waits are journalled with their job id and no message, and the log says so', async () => {
  const path = file();
  const warnings: string[] = [];
  const journal = new WaitJournal(path, { warn: (t) => warnings.push(t), info: () => undefined }, 4_000);
  const big = 'x'.repeat(1_500);
  const waits = Object.fromEntries(['a', 'b', 'c', 'd'].map((k, i) => [k, { jobId: `job-${i}`, startedAt: 1, provider: 'joggai', msg: { note: big } }]));
  journal.set('wait1:tab', waits);
  await journal.flush();
  const text = readFileSync(path, 'utf8');
  expect(text.length).toBeLessThan(4_000 + 500);
  const saved = JSON.parse(text).nodes['wait1:tab'];
  expect(Object.values(saved).map((w: any) => w.jobId)).toEqual(['job-0', 'job-1', 'job-2', 'job-3']);
  expect(saved.a.msg.note).toBe(big);
  expect(saved.d.msg).toEqual({});
  expect(warnings.join('\n')).toMatch(/some are journalled with their job id only/);

  // The next process reads every wait back, and a node that takes nothing is named and dropped.
  const logged: string[] = [];
  const next = new WaitJournal(path, { warn: (t) => logged.push(t), info: () => undefined });
  expect(Object.keys(next.take('wait1:tab'))).toEqual(['a', 'b', 'c', 'd']);
  next.set('gone:tab', { z: { jobId: 'job-9', startedAt: 1, msg: {} } });
  await next.flush();
  const fourth = new WaitJournal(path, { warn: (t) => logged.push(t), info: () => undefined });
  fourth.take('wait1:tab');
  fourth.dropUnclaimed();
  await fourth.flush();
  expect(logged.join('\n')).toMatch(/could not resume the wait\(s\) for job id\(s\) job-9: their node is no longer in the deployed flows/);
  expect(Object.keys(JSON.parse(readFileSync(path, 'utf8')).nodes)).toEqual(['wait1:tab']);
});
