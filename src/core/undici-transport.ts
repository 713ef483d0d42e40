import { Agent, FormData, request } from 'undici';
import { TransportFailure } from './errors';
import type { Transport, TransportRequest } from './types';

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);
const TIMEOUTS = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

export interface UndiciTransportOptions {
  connectTimeoutMs?: number;
  /** Sockets kept open per origin (the connection pool shared by every request of one client). */
  connections?: number;
  keepAliveTimeoutMs?: number;
}

export interface UndiciTransport extends Transport {
  /** Closes pooled connections (Node-RED close handler, tests). */
  close(): Promise<void>;
}

/** Classifies a low-level error so the core knows whether the request may have reached the server. */
export function classifyNetworkError(error: unknown): TransportFailure {
  const e = error as { code?: string; name?: string; message?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code ?? '';
  const message = `${e?.message ?? String(error)}${code && !String(e?.message).includes(code) ? ` [${code}]` : ''}`;
  if (e?.name === 'AbortError' || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new TransportFailure('request aborted', 'aborted', true, { cause: error });
  }
  if (NOT_SENT.has(code)) return new TransportFailure(message, 'connect', false, { cause: error });
  if (TIMEOUTS.has(code)) return new TransportFailure(message, 'timeout', true, { cause: error });
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE' || code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH') {
    return new TransportFailure(message, 'reset', true, { cause: error });
  }
  return new TransportFailure(message, 'other', true, { cause: error });
}

const DEFAULT_MAX_BINARY = 64 * 1024 * 1024;

/** JSON and text answers are also handed over as text (a provider's error body on a binary request). */
export const textual = (contentType: string | undefined): boolean => /json|^\s*text\//i.test(contentType ?? '');

/** The whole body, refusing (and dropping the connection) past `max` bytes: a hostile answer cannot fill memory. */
async function readCapped(body: AsyncIterable<Buffer> & { destroy(error?: Error): unknown }, max: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > max) {
      body.destroy();
      throw Object.assign(new Error(`the answer is larger than ${max} bytes`), { code: 'LIPSYNC_BODY_TOO_LARGE' });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** The default transport: undici with a pooled Agent, connect/read timeouts and no automatic retries. */
export function createUndiciTransport(options: UndiciTransportOptions = {}): UndiciTransport {
  const agent = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? 10_000 },
    connections: options.connections ?? 16,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
  });
  const transport = (async (req: TransportRequest) => {
    let body: string | Uint8Array | FormData | undefined;
    if (req.body && typeof req.body === 'object' && 'multipart' in req.body) {
      const form = new FormData();
      for (const part of req.body.multipart) {
        if (typeof part.value === 'string' && part.filename === undefined) form.append(part.name, part.value);
        else {
          const bytes = typeof part.value === 'string' ? Buffer.from(part.value) : part.value;
          form.append(part.name, new Blob([bytes], { type: part.contentType ?? 'application/octet-stream' }), part.filename ?? part.name);
        }
      }
      body = form;
    } else body = req.body as string | Uint8Array | undefined;
    try {
      const res = await request(req.url, {
        dispatcher: agent,
        method: req.method,
        headers: req.headers,
        body,
        headersTimeout: req.readTimeoutMs,
        bodyTimeout: req.readTimeoutMs,
        signal: req.signal,
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      if (!req.binary) return { status: res.statusCode, headers, body: await res.body.text() };
      const bytes = await readCapped(res.body, req.maxResponseBytes ?? DEFAULT_MAX_BINARY);
      return { status: res.statusCode, headers, body: textual(headers['content-type']) ? bytes.toString('utf8') : '', bytes };
    } catch (error) {
      throw classifyNetworkError(error);
    }
  }) as UndiciTransport;
  transport.close = () => agent.close();
  return transport;
}
