import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request as httpGet } from 'node:http';
import { request as httpsGet } from 'node:https';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { MediaCheck } from './state';

/** Sample media, uploaded assets, and the check that decides whether a job's media URL can be fetched. */

export interface Samples {
  mp4: Buffer;
  wav: Buffer;
}

let samples: Samples | undefined;

/** assets/sample.mp4 (3 s, H.264 + AAC, 256x144, 25 fps) and assets/sample.wav (3 s, 8 kHz mono), read once. */
export function loadSamples(): Samples {
  const dir = join(__dirname, 'assets');
  samples ??= { mp4: readFileSync(join(dir, 'sample.mp4')), wav: readFileSync(join(dir, 'sample.wav')) };
  return samples;
}

/** A 64x36 frame of the sample video: the cover of completed jobs. */
export const COVER_JPEG = Buffer.from(
  '/9j/4AAQSkZJRgABAgAAAQABAAD//gAQTGF2YzU5LjM3LjEwMAD/2wBDAAgYGBwYHCEhISEhISckJygoKCcnJycoKCgrKyszMzMr' +
    'KysoKCsrMDAzMzc5NzQ0MzQ5OTw8PEhIRUVUVFdnZ3z/xACEAAEAAwEAAAAAAAAAAAAAAAAGBwQFCAEBAQEBAQAAAAAAAAAAAAAA' +
    'BgcIBAUQAAECBAMGBQUBAAAAAAAAAAECABEEAzEhEjKBcWFRQTPwchMiwbGRI2LRghEAAQMCBAQGAwEBAAAAAAAAARECAwAhURIF' +
    'BJFBMSIygRPBcjOxNOEUgv/AABEIACQAQAMBIgACEQADEQD/2gAMAwEAAhEDEQA/AIpVVTbJY44nF201h0SQOWYu76aD0DSS9Gl6' +
    'alGmFQO1nS5qCxN064+dJdQjfBCXuIcM7QgxJt1tR6jUJNif9EQc/wAmc0tTP6/JZGXlZdSxGkmx5/1yIlCaacqRAAQAHRi91I1x' +
    'DQCCCtFdtJ6sagIhI5e1ciG7eSuRVHAQUCY46uPCDBm7YSug+YvX07S6MISCCCP7iK9TZAmaxTtNNZdJzxtdr2PljGoI8i2LGyLm' +
    'vU913N/r7kPY02HQKbY0QRWlFiFRGU84H6pxeomnSQn8Sswjzi4yayW7Z3uDPjDejnAKLEqKrWtQhu1JzOTO0ZSVbc9cbUyl1BNS' +
    'JMBAtrEEMNQSFqCVY4F7VSWJHtWU+OD4vT273I6UxuxLS5h4XFSzZumZH2sbIzMbgo7geVcvG7YSug72dqFBPtwa2kUoAyGIN+r1' +
    'vM45AALnhbGmWye4SgtFyCi9PNKTy3c2Fs2PoFIXfoWqK0i5H3YmR6lSgCc7caEayHzbsEMdeNqDKVsTyqHWuldB83wGRa6V0Hzf' +
    'AcWl8NWXXf0j82fmmct3NhbQ2YuW7mwtobMTL4x5VNNP+j/o+1cem7Wyug72SN2tldB3vbsng4Ur0/7x8XUiSkKiDyerKUkqxMXR' +
    'p3O4vbk7Dx1ci3gBlAIBpbvXvZDMWuc0jIhBIRVwr//Z',
  'base64',
);

export interface Asset {
  id: string;
  filename: string;
  contentType: string;
  declaredSize: number;
  data?: Buffer;
}

/** JoggAI-style uploads: an asset is announced, then its bytes arrive by PUT to a signed URL. */
export class AssetStore {
  private readonly assets = new Map<string, Asset>();

  announce(filename: string, contentType: string, declaredSize: number): Asset {
    const asset: Asset = { id: randomUUID(), filename, contentType, declaredSize };
    this.assets.set(asset.id, asset);
    return asset;
  }

  get(id: string): Asset | undefined {
    return this.assets.get(id);
  }

  clear(): void {
    this.assets.clear();
  }
}

export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  return isIP(h) === 4 && h.startsWith('127.');
}

export interface MediaCheckerOptions {
  /** True when the URL points at this sandbox. */
  isSelf(url: URL): boolean;
  /** Whether this sandbox answers 2xx for that path (checked in process, without a request). */
  selfServes(pathname: string): boolean;
  timeoutMs: number;
  signal: AbortSignal;
}

/**
 * A host ending in `.invalid` never resolves; a loopback URL is fetched (this sandbox's own URLs are looked up
 * in process); any other host counts as reachable, since the sandbox makes no outside requests.
 */
export function createMediaChecker(opts: MediaCheckerOptions): (url: string) => MediaCheck {
  return (raw) => {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'the URL is not valid' };
    }
    if (url.hostname.toLowerCase().endsWith('.invalid')) return { ok: false, reason: `could not resolve host ${url.hostname}` };
    if (!isLoopbackHost(url.hostname)) return { ok: true };
    if (opts.isSelf(url)) return opts.selfServes(url.pathname) ? { ok: true } : { ok: false, reason: 'HTTP 404 Not Found' };
    return probe(url, opts.timeoutMs, opts.signal);
  };
}

/** One GET; only the status line matters. */
function probe(url: URL, timeoutMs: number, signal: AbortSignal): Promise<{ ok: true } | { ok: false; reason: string }> {
  return new Promise((resolve) => {
    const get = url.protocol === 'https:' ? httpsGet : httpGet;
    const req = get(url, { method: 'GET', signal, timeout: timeoutMs, rejectUnauthorized: false }, (res) => {
      const status = res.statusCode ?? 0;
      req.destroy();
      resolve(status >= 200 && status < 300 ? { ok: true } : { ok: false, reason: `HTTP ${status}` });
    });
    req.on('timeout', () => {
      req.destroy();
      resolve({ ok: false, reason: `no answer within ${timeoutMs} ms` });
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, reason: e.code ?? e.message }));
    req.end();
  });
}
