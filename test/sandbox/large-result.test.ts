import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox';
import { SPECS, until } from './support';

/** `resultBytes`: a large result video, generated while it is sent (the media benchmark downloads 500 MB of it). */
const SIZE = 6 * 1024 * 1024 + 123;
const sample = readFileSync(join(__dirname, '../../src/sandbox/assets/sample.mp4'));

let sandbox: Sandbox;
let resultUrl: string;

beforeAll(async () => {
  sandbox = await startSandbox({ jobDurationMs: 0, resultBytes: SIZE });
  const spec = SPECS['fishaudio-open'];
  const id = spec.idOf(await spec.create(sandbox, `${sandbox.url}/media/sample.mp4`, `${sandbox.url}/media/sample.wav`));
  resultUrl = await until(async () => spec.resultOf(await spec.get(sandbox, id)), 'the result URL');
});
afterAll(() => sandbox?.close());

describe('resultBytes', () => {
  it('serves the sample, then one MP4 free box filling the rest, with the exact Content-Length', async () => {
    const res = await fetch(resultUrl);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(SIZE));
    expect(res.headers.get('content-type')).toBe('video/mp4');
    const body = Buffer.from(await res.arrayBuffer());
    expect(body.length).toBe(SIZE);
    expect(body.subarray(0, sample.length).equals(sample)).toBe(true);
    // A 64-bit box: size 1, type "free", then the real size, which reaches exactly to the end of the file.
    const box = body.subarray(sample.length);
    expect(box.readUInt32BE(0)).toBe(1);
    expect(box.toString('latin1', 4, 8)).toBe('free');
    expect(Number(box.readBigUInt64BE(8))).toBe(SIZE - sample.length);
    expect(box.subarray(16).every((b) => b === 0)).toBe(true);
  });

  it('answers ranges inside the generated part, and HEAD without a body', async () => {
    const ranged = await fetch(resultUrl, { headers: { range: `bytes=${SIZE - 10}-` } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes ${SIZE - 10}-${SIZE - 1}/${SIZE}`);
    expect(Buffer.from(await ranged.arrayBuffer())).toEqual(Buffer.alloc(10));
    const head = await fetch(resultUrl, { method: 'HEAD' });
    expect(head.headers.get('content-length')).toBe(String(SIZE));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
  });

  it('leaves the sample media alone, and refuses a bad size', async () => {
    const media = await fetch(`${sandbox.url}/media/sample.mp4`);
    expect(Buffer.from(await media.arrayBuffer()).equals(sample)).toBe(true);
    await expect(startSandbox({ resultBytes: -1 })).rejects.toThrow(/resultBytes/);
  });
});
