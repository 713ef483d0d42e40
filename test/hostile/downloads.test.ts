import { createWriteStream } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { downloadToFile, isNonPublicAddress, openDownload, type LipSyncError } from '../../src';
import { startFake, type Fake } from './support';

/**
 * Safe downloads: a result URL, or a redirect from it, that leads to a loopback, private or otherwise non-public
 * address is refused before anything is fetched, unless it is the configured base URL's own host or the user
 * allows private networks. Sizes are capped and malformed URLs give a LipSyncError.
 */
let provider: Fake; // plays the provider: its host is the configured base URL
let internal: Fake; // an internal service nobody should reach through a result URL
let dir: string;
beforeAll(async () => {
  provider = await startFake();
  internal = await startFake((_req, res) => res.end('internal secret'));
  dir = mkdtempSync(join(tmpdir(), 'lipsync-hostile-'));
});
afterAll(async () => {
  await provider.close();
  await internal.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  internal.seen.length = 0;
  provider.handle((_req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp4', 'content-length': '1000' });
    res.end(Buffer.alloc(1000, 1));
  });
});

const trusted = () => ({ trustedOrigins: [`${provider.url}/joggai`] });

describe('non-public addresses are refused', () => {
  const forms = () => [
    `http://127.0.0.1:${internal.port}/secret`,
    `http://localhost:${internal.port}/secret`,
    `http://0.0.0.0:${internal.port}/secret`,
    `http://[::ffff:127.0.0.1]:${internal.port}/secret`,
    `http://2130706433:${internal.port}/secret`,
    `http://0x7f.1:${internal.port}/secret`,
  ];
  for (let i = 0; i < 6; i++) {
    it(`form ${i + 1} of the loopback address on another port is refused, and never fetched`, async () => {
      const url = forms()[i]!;
      const err: LipSyncError = await openDownload(url, { ...trusted(), jobId: 'job-1' }).catch((e) => e);
      expect(err.name).toBe('LipSyncError');
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.field).toBe('resultUrl');
      expect(err.jobId).toBe('job-1');
      expect(err.message).toMatch(/non-public address.*allow private networks/);
      expect(internal.seen).toHaveLength(0);
    });
  }

  it('a redirect from the trusted host to an internal port is refused on that hop', async () => {
    provider.handle((_req, res) => {
      res.writeHead(302, { location: `http://localhost:${internal.port}/secret` });
      res.end();
    });
    const err: LipSyncError = await openDownload(`${provider.url}/media/result.mp4`, trusted()).catch((e) => e);
    expect(err.code).toBe('INVALID_INPUT');
    expect(internal.seen).toHaveLength(0);
    expect(provider.seen.length).toBeGreaterThan(0);
  });

  it('downloadToFile refuses the same way and leaves no file', async () => {
    const path = join(dir, 'out.mp4');
    const err: LipSyncError = await downloadToFile(`http://127.0.0.1:${internal.port}/x.mp4`, path).catch((e) => e);
    expect(err.code).toBe('INVALID_INPUT');
    expect(internal.seen).toHaveLength(0);
  });

  it('the address check knows the ranges, IPv4-mapped forms included', () => {
    for (const a of ['127.0.0.1', '10.1.2.3', '172.16.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '224.0.0.1', '255.255.255.255', '::1', '::', 'fd00::1', 'fe80::1', 'ff02::1', '::ffff:10.0.0.1', '::ffff:7f00:1', '64:ff9b::7f00:1', 'not-an-ip'])
      expect(isNonPublicAddress(a), a).toBe(true);
    for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) expect(isNonPublicAddress(a), a).toBe(false);
  });
});

describe('what stays allowed', () => {
  it("the configured base URL's own host and port (sandbox, self-hosted gateway)", async () => {
    const dl = await openDownload(`${provider.url}/media/result.mp4`, trusted());
    const chunks: Buffer[] = [];
    for await (const c of dl.stream) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks).length).toBe(1000);
  });

  it('any private address when the user allows private networks', async () => {
    const path = join(dir, 'internal.txt');
    const out = await downloadToFile(`http://127.0.0.1:${internal.port}/file`, path, { allowPrivateNetworks: true });
    expect(out.bytes).toBe('internal secret'.length);
  });
});

describe('sizes and malformed URLs', () => {
  it('a result larger than maxBytes (announced) is refused before it is read', async () => {
    const err: LipSyncError = await openDownload(`${provider.url}/big.mp4`, { ...trusted(), maxBytes: 500 }).catch((e) => e);
    expect(err.code).toBe('MEDIA_UNPROCESSABLE');
    expect(err.message).toMatch(/more than the 500 allowed/);
  });

  it('a result that grows past maxBytes without a length is cut off with an error, and no partial file stays', async () => {
    provider.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'video/mp4' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(Buffer.alloc(4096, 2))), 2);
      res.on('close', () => clearInterval(timer));
    });
    const path = join(dir, 'grow.mp4');
    const err: LipSyncError = await downloadToFile(`${provider.url}/grow.mp4`, path, { ...trusted(), maxBytes: 64 * 1024 }).catch((e) => e);
    expect(err.code).toBe('MEDIA_UNPROCESSABLE');
    const { existsSync } = await import('node:fs');
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${path}.partial`)).toBe(false);
  });

  it('a %ZZ in the path is no URIError', async () => {
    const dl = await openDownload(`${provider.url}/media/%ZZ.mp4`, trusted());
    await pipeline(dl.stream, createWriteStream(join(dir, 'zz.mp4')));
    expect(dl.filename).toBe('%ZZ.mp4');
  });

  for (const bad of ['http:///etc/passwd', 'file:///etc/passwd', 'http://exa mple.com/x', 'http://example.com/\u0000x', '']) {
    it(`${JSON.stringify(bad)} is a LipSyncError naming resultUrl`, async () => {
      const err: LipSyncError = await openDownload(bad).catch((e) => e);
      expect(err.name).toBe('LipSyncError');
      expect(err.code).toBe('INVALID_INPUT');
      expect(err.field).toBe('resultUrl');
    });
  }
});
