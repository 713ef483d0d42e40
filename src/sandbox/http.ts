import type { IncomingMessage, ServerResponse } from 'node:http';
import { Readable } from 'node:stream';

/** Small HTTP helpers shared by the routes. */

/** What a route answers; the server writes it (or a fault replaces it). */
export interface WireResponse {
  status: number;
  /** Serialized as JSON unless `raw` is set. */
  body?: unknown;
  raw?: Buffer;
  /** A body produced while it is sent (large generated files): its length and a fresh stream of it. */
  stream?: { length: number; open: () => Readable };
  headers?: Record<string, string>;
}

export const json = (status: number, body: unknown, headers?: Record<string, string>): WireResponse => ({ status, body, headers });

export function send(res: ServerResponse, wire: WireResponse): void {
  if (wire.stream) {
    res.writeHead(wire.status, { ...wire.headers, 'content-length': String(wire.stream.length) });
    if (res.req.method === 'HEAD') return void res.end();
    const body = wire.stream.open();
    // A client that goes away ends the generator too.
    res.once('close', () => body.destroy());
    body.on('error', () => res.destroy());
    body.pipe(res);
    return;
  }
  const payload = wire.raw ?? Buffer.from(JSON.stringify(wire.body ?? null));
  const headers: Record<string, string> = {
    ...(wire.raw ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    ...wire.headers,
    'content-length': String(payload.length),
  };
  res.writeHead(wire.status, headers);
  res.end(res.req.method === 'HEAD' ? undefined : payload);
}

export interface BodyResult {
  data: Buffer;
  tooLarge: boolean;
}

/** Reads the whole body; past `limit` bytes the rest is drained and dropped. */
export function readBody(req: IncomingMessage, limit: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve({ data: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), tooLarge }));
    // An aborted request never gets an answer; resolving lets the handler finish quietly.
    req.on('error', () => resolve({ data: Buffer.alloc(0), tooLarge }));
  });
}

export function flatHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  return out;
}

export function queryObject(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) out[k] = v;
  return out;
}

/** The media type of a Content-Type header, lower-case, without parameters. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * Bytes with single-range support (206 / 416), as a storage bucket serves them. With `size` above the data's
 * length, the body is the data followed by zeros up to `size`, generated as it is sent.
 */
export function bytesResponse(rangeHeader: string | undefined, data: Buffer, contentType: string, size = data.length): WireResponse {
  const headers: Record<string, string> = { 'content-type': contentType, 'accept-ranges': 'bytes' };
  const range = parseRange(rangeHeader, size);
  if (range === 'unsatisfiable') return { status: 416, raw: Buffer.alloc(0), headers: { ...headers, 'content-range': `bytes */${size}` } };
  const [start, end] = range ?? [0, size - 1];
  const status = range ? 206 : 200;
  if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  if (size <= data.length) return { status, raw: range ? data.subarray(start, end + 1) : data, headers };
  return { status, stream: { length: end + 1 - start, open: () => zeroPadded(data, start, end) }, headers };
}

const CHUNK = 64 * 1024;
const ZEROS = Buffer.alloc(CHUNK);

/** Bytes start..end (inclusive) of `head` followed by zeros, one 64 KiB chunk at a time. */
function zeroPadded(head: Buffer, start: number, end: number): Readable {
  let pos = start;
  return new Readable({
    highWaterMark: CHUNK,
    read() {
      if (pos > end) return void this.push(null);
      const n = Math.min(CHUNK, end + 1 - pos);
      let chunk = ZEROS.subarray(0, n);
      if (pos < head.length) {
        chunk = Buffer.alloc(n);
        head.copy(chunk, 0, pos, Math.min(head.length, pos + n));
      }
      pos += n;
      this.push(chunk);
    },
  });
}

/** `bytes=a-b`, `bytes=a-` or `bytes=-n`; anything else (several ranges included) is ignored and the whole body sent. */
function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  let start: number;
  let end: number;
  if (m[1] === '') {
    start = Math.max(0, size - Number(m[2]));
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  return start >= size || start > end ? 'unsatisfiable' : [start, end];
}
