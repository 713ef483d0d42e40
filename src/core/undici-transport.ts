import { Agent, type Dispatcher, FormData, request } from 'undici';
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

/**
 * An interceptor that calls `onDispatched` when undici hands the request to a connection and starts writing it
 * (the handler's connect hook, in the old and the new handler API). Before that a cancel drops it unsent.
 */
function reportDispatch(onDispatched: () => void): Dispatcher.DispatcherComposeInterceptor {
  return (dispatch) => (opts, handler) => {
    let called = false;
    const hook = (name: string, fn: (...args: unknown[]) => unknown) =>
      function (this: unknown, ...args: unknown[]) {
        if (!called) {
          called = true;
          onDispatched();
        }
        return fn.apply(handler, args);
      };
    const wrapped = new Proxy(handler, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if ((prop === 'onConnect' || prop === 'onRequestStart') && typeof value === 'function') return hook(prop, value as (...args: unknown[]) => unknown);
        return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
      },
    });
    return dispatch(opts, wrapped);
  };
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
        dispatcher: req.onDispatched ? agent.compose(reportDispatch(req.onDispatched)) : agent,
        method: req.method,
        headers: req.headers,
        body,
        headersTimeout: req.readTimeoutMs,
        bodyTimeout: req.readTimeoutMs,
        signal: req.signal,
      });
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : String(v);
      const max = req.binary ? (req.maxResponseBytes ?? DEFAULT_MAX_BINARY) : req.maxBodyBytes;
      // An announced length over the cap is refused before a byte is read.
      if (max !== undefined && Number(headers['content-length']) > max) {
        res.body.destroy();
        throw new TransportFailure(`the answer is larger than ${max} bytes`, 'too-large', true);
      }
      if (!req.binary) return { status: res.statusCode, headers, body: max === undefined ? await res.body.text() : (await readCapped(res.body, max)).toString('utf8') };
      const bytes = await readCapped(res.body, max!);
      return { status: res.statusCode, headers, body: textual(headers['content-type']) ? bytes.toString('utf8') : '', bytes };
    } catch (error) {
      if (error instanceof TransportFailure) throw error;
      if ((error as { code?: string })?.code === 'LIPSYNC_BODY_TOO_LARGE') throw new TransportFailure((error as Error).message, 'too-large', true, { cause: error });
      throw classifyNetworkError(error);
    }
  }) as UndiciTransport;
  transport.close = () => agent.close();
  transport.reportsDispatch = true;
  return transport;
}
