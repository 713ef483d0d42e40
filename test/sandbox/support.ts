import { startSandbox, type ProviderId, type Sandbox, type SandboxOptions } from '../../src/sandbox';

export const KEY = 'sandbox-key';
export const NO_CREDITS = 'sandbox-no-credits';

/** A sandbox and its sample media URLs. */
export async function openSandbox(options: SandboxOptions = {}): Promise<{ sandbox: Sandbox; video: string; audio: string }> {
  const sandbox = await startSandbox(options);
  return { sandbox, video: `${sandbox.url}/media/sample.mp4`, audio: `${sandbox.url}/media/sample.wav` };
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** The documented auth header of each provider. */
export function authHeaders(provider: ProviderId, key: string): Record<string, string> {
  return provider === 'akool' || provider === 'joggai' ? { 'x-api-key': key } : { authorization: `Bearer ${key}` };
}

/** One request to a provider's API on the sandbox, authenticated like a client would be. */
export async function call(
  sandbox: Sandbox,
  provider: ProviderId,
  method: 'GET' | 'POST',
  path: string,
  opts: { body?: unknown; key?: string | null; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {
    ...(opts.key === null ? {} : authHeaders(provider, opts.key ?? KEY)),
    ...(opts.body === undefined ? {} : { 'content-type': 'application/json' }),
    ...opts.headers,
  };
  const res = await fetch(`${sandbox.baseUrl(provider)}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** How each provider creates and reads a job, and where its answers keep id, status, result and failure. */
export interface ProviderSpec {
  create(sandbox: Sandbox, video: string, audio: string, key?: string): Promise<Answer>;
  idOf(created: Answer): string;
  get(sandbox: Sandbox, id: string, key?: string): Promise<Answer>;
  statusOf(got: Answer): string | number;
  /** The provider's own status values for queued, processing, completed, failed. */
  statuses: [string | number, string | number, string | number, string | number];
  resultOf(got: Answer): string | undefined;
  failureOf(got: Answer): string | undefined;
}

export const SPECS: Record<ProviderId, ProviderSpec> = {
  'fishaudio-open': {
    create: (s, v, a, key) => call(s, 'fishaudio-open', 'POST', '/api/open/lip-sync/create', { body: { video_url: v, audio_url: a }, key }),
    idOf: (c) => c.body.data.id,
    get: (s, id, key) => call(s, 'fishaudio-open', 'GET', `/api/open/lip-sync/query?id=${encodeURIComponent(id)}`, { key }),
    statusOf: (g) => g.body.data.status,
    statuses: ['pending', 'processing', 'completed', 'failed'],
    resultOf: (g) => g.body.data.result_url ?? undefined,
    failureOf: (g) => g.body.data.error_message ?? undefined,
  },
  'fishaudio-v1': {
    create: (s, v, a, key) => call(s, 'fishaudio-v1', 'POST', '/api/open/v1/media/lip-sync/jobs', { body: { videoUrl: v, audioUrl: a }, key }),
    idOf: (c) => c.body.data.id,
    get: (s, id, key) => call(s, 'fishaudio-v1', 'GET', `/api/open/v1/media/lip-sync/jobs/${encodeURIComponent(id)}`, { key }),
    statusOf: (g) => g.body.data.status,
    statuses: ['queued', 'processing', 'completed', 'failed'],
    resultOf: (g) => g.body.data.resultUrl,
    failureOf: (g) => g.body.data.error?.message,
  },
  akool: {
    create: (s, v, a, key) => call(s, 'akool', 'POST', '/api/open/v3/content/video/lipsync', { body: { video_url: v, audio_url: a, webhookUrl: '' }, key }),
    idOf: (c) => c.body.data._id,
    get: (s, id, key) => call(s, 'akool', 'GET', `/api/open/v3/content/video/infobymodelid?video_model_id=${encodeURIComponent(id)}`, { key }),
    statusOf: (g) => g.body.data.video_status,
    statuses: [1, 2, 3, 4],
    resultOf: (g) => g.body.data.video || undefined,
    failureOf: (g) => g.body.data.error_reason,
  },
  chamelaion: {
    create: (s, v, a, key) =>
      call(s, 'chamelaion', 'POST', '/v1/lipsync/generate', {
        body: {
          inputs: [
            { type: 'video', url: v },
            { type: 'audio', url: a },
          ],
        },
        key,
      }),
    idOf: (c) => c.body.request_id,
    get: (s, id, key) => call(s, 'chamelaion', 'GET', `/v1/lipsync/requests/${encodeURIComponent(id)}`, { key }),
    statusOf: (g) => g.body.status,
    statuses: ['queued', 'processing', 'completed', 'failed'],
    resultOf: (g) => g.body.output_url,
    failureOf: (g) => g.body.error_message,
  },
  joggai: {
    create: (s, v, a, key) => call(s, 'joggai', 'POST', '/v2/create_lip_sync_video', { body: { video_url: v, audio_url: a }, key }),
    idOf: (c) => c.body.data.task_id,
    get: (s, id, key) => call(s, 'joggai', 'GET', `/v2/lip_sync_video/${encodeURIComponent(id)}`, { key }),
    statusOf: (g) => g.body.data.status,
    statuses: ['pending', 'processing', 'success', 'failed'],
    resultOf: (g) => g.body.data.data?.result_url,
    failureOf: (g) => g.body.data.error?.message,
  },
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value, for up to `ms` (generous: never used to assert a duration). */
export async function until<T>(check: () => Promise<T | undefined> | T | undefined, what: string, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}
