import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLipSyncClient, type LipSyncClient, type LipSyncClientOptions, type ProviderId } from '../../src';

/**
 * The hostile-provider suite's own fake servers (not the sandbox): plain node:http servers on 127.0.0.1, port 0,
 * whose every answer a test writes by hand, to act like a broken deploy, a proxy or an attacker.
 */

export interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void | Promise<void>;

export interface Fake {
  url: string;
  port: number;
  seen: Seen[];
  handle(fn: Handler): void;
  close(): Promise<void>;
}

export async function startFake(handler?: Handler): Promise<Fake> {
  let current: Handler = handler ?? ((_req, res) => res.end());
  const seen: Seen[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const entry = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(entry);
      Promise.resolve(current(req, res, entry)).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    handle(fn) {
      current = fn;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A key long enough for every provider (Akool needs 16/24/32 characters to decrypt callbacks). */
export const KEY = 'sk-hostile-0123456789abcdefghijk';

export const PROVIDERS: readonly ProviderId[] = ['fishaudio-open', 'fishaudio-v1', 'akool', 'chamelaion', 'joggai'];

/** Each provider's wire format, as much of it as the hostile tests need. */
export const WIRE: Record<
  ProviderId,
  {
    isCreate(s: Seen): boolean;
    isGet(s: Seen): boolean;
    /** A successful create / status body for a job with this id (a string or, hostile, a number). */
    job(id: unknown, status: 'queued' | 'failed' | 'completed', extra?: { reason?: string; code?: string; resultUrl?: string }): unknown;
    /** HTTP status + body of an error answer whose every text field echoes `text`. */
    error(text: string): [number, unknown];
  }
> = {
  'fishaudio-open': {
    isCreate: (s) => s.method === 'POST' && s.url.startsWith('/api/open/lip-sync/create'),
    isGet: (s) => s.method === 'GET' && s.url.startsWith('/api/open/lip-sync/query'),
    job: (id, status, x = {}) => ({
      success: true,
      data: { id, status: status === 'queued' ? 'pending' : status, error_message: x.reason, result_url: x.resultUrl },
    }),
    error: (t) => [400, { success: false, error: t, message: t, details: t, code: t }],
  },
  'fishaudio-v1': {
    isCreate: (s) => s.method === 'POST' && s.url.startsWith('/api/open/v1/media/lip-sync/jobs'),
    isGet: (s) => s.method === 'GET' && s.url.startsWith('/api/open/v1/media/lip-sync/jobs/'),
    job: (id, status, x = {}) => ({
      success: true,
      data: { id, status: status === 'queued' ? 'queued' : status, error: status === 'failed' ? { code: x.code, message: x.reason } : undefined, resultUrl: x.resultUrl },
    }),
    error: (t) => [400, { code: t, message: t, requestId: t }],
  },
  akool: {
    isCreate: (s) => s.method === 'POST' && s.url.startsWith('/api/open/v3/content/video/lipsync'),
    isGet: (s) => s.method === 'GET' && s.url.startsWith('/api/open/v3/content/video/infobymodelid'),
    job: (id, status, x = {}) => ({
      code: 1000,
      msg: 'OK',
      data: { _id: id, video_status: { queued: 1, completed: 3, failed: 4 }[status], video: x.resultUrl, error_code: x.code, error_reason: x.reason },
    }),
    error: (t) => [200, { code: 1101, msg: t, message: t }],
  },
  chamelaion: {
    isCreate: (s) => s.method === 'POST' && s.url.startsWith('/v1/lipsync/generate'),
    isGet: (s) => s.method === 'GET' && s.url.startsWith('/v1/lipsync/requests/'),
    job: (id, status, x = {}) => ({ id, request_id: id, status, error_message: x.reason, output_url: x.resultUrl }),
    error: (t) => [400, { error: t }],
  },
  joggai: {
    isCreate: (s) => s.method === 'POST' && s.url.startsWith('/v2/create_lip_sync_video'),
    isGet: (s) => s.method === 'GET' && s.url.startsWith('/v2/lip_sync_video'),
    job: (id, status, x = {}) => ({
      code: 0,
      msg: 'ok',
      data: {
        task_id: id,
        status: status === 'queued' ? 'pending' : status === 'completed' ? 'success' : 'failed',
        created_at: Math.floor(Date.now() / 1000),
        error: x.reason ? { message: x.reason } : undefined,
        data: x.resultUrl ? { result_url: x.resultUrl } : undefined,
      },
    }),
    error: (t) => [200, { code: 10105, msg: t, message: t, rid: t }],
  },
};

const open: LipSyncClient[] = [];

/** A client for `provider` pointed at a fake server, with fast retries and no shared limiters. */
export function clientFor(provider: ProviderId, fake: Fake, extra: Partial<LipSyncClientOptions> = {}): LipSyncClient {
  const c = createLipSyncClient({
    provider,
    apiKey: KEY,
    baseUrl: fake.url,
    retry: { baseDelayMs: 1, maxDelayMs: 5 },
    rateLimits: { create: false, read: false },
    ...extra,
  });
  open.push(c);
  return c;
}

export async function closeClients(): Promise<void> {
  await Promise.all(open.splice(0).map((c) => c.close()));
}

export const MEDIA = { videoUrl: 'https://media.example.com/face.mp4', audioUrl: 'https://media.example.com/voice.wav' };

/** Everything a user or a log could see of an error. */
export function visible(err: unknown): string {
  const e = err as Error & { toJSON?: () => unknown };
  return [String(e?.message), String(e?.stack), JSON.stringify(e?.toJSON?.() ?? {}), JSON.stringify({ ...(e as object) }, (k, v) => (k === 'raw' ? undefined : v))].join('\n');
}
