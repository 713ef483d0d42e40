import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { send, type WireResponse } from './http';
import { FAULT_KINDS, type FaultConfig, type FaultKind, type FaultSpec, type ProviderId } from './types';

/** Queued and random faults, and how each kind is written to the wire. */

export interface FaultTarget {
  provider?: ProviderId;
  method: string;
  /** Path and query as received. */
  url: string;
  /** Media, results and uploads: only a queued fault whose pathIncludes matches may hit them. */
  explicitOnly: boolean;
}

export interface ChosenFault {
  kind: FaultKind;
  after: boolean;
}

/** mulberry32: small, fast, good enough to pick faults deterministically from a seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function checkKinds(kinds: readonly unknown[]): void {
  for (const k of kinds) if (!FAULT_KINDS.includes(k as FaultKind)) throw new TypeError(`Unknown fault kind ${JSON.stringify(k)}; use one of: ${FAULT_KINDS.join(', ')}`);
}

type Filter = Pick<FaultSpec, 'provider' | 'method' | 'pathIncludes'>;

function matches(filter: Filter, t: FaultTarget): boolean {
  if (t.explicitOnly && !filter.pathIncludes) return false;
  if (filter.provider && filter.provider !== t.provider) return false;
  if (filter.method && filter.method.toUpperCase() !== t.method) return false;
  return !filter.pathIncludes || t.url.includes(filter.pathIncludes);
}

export class FaultPlan {
  private queue: (FaultSpec & { left: number })[] = [];
  private random?: { config: FaultConfig; next: () => number };

  inject(spec: FaultSpec): void {
    checkKinds([spec.kind]);
    const left = spec.count ?? 1;
    if (!Number.isInteger(left) || left < 1) throw new TypeError('count must be a positive integer');
    this.queue.push({ ...spec, left });
  }

  set(config: FaultConfig | undefined): void {
    this.queue = [];
    this.random = undefined;
    if (!config) return;
    if (!(config.rate >= 0 && config.rate <= 1)) throw new TypeError('rate must be between 0 and 1');
    if (!Array.isArray(config.kinds) || config.kinds.length === 0) throw new TypeError('kinds must list at least one fault kind');
    checkKinds(config.kinds);
    this.random = { config: { ...config, kinds: [...config.kinds] }, next: seededRandom(config.seed ?? 1) };
  }

  /** The fault for this request, if any: queued faults first (oldest first), then the random draw. */
  take(target: FaultTarget): ChosenFault | undefined {
    const i = this.queue.findIndex((f) => matches(f, target));
    if (i >= 0) {
      const f = this.queue[i]!;
      if (--f.left === 0) this.queue.splice(i, 1);
      return { kind: f.kind, after: f.after === true };
    }
    const r = this.random;
    if (!r || target.explicitOnly || !matches(r.config, target)) return undefined;
    if (r.next() >= r.config.rate) return undefined;
    return { kind: r.config.kinds[Math.floor(r.next() * r.config.kinds.length)]!, after: false };
  }
}

/** How late a 'slow' fault answers. */
const SLOW_MS = 1_000;

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

export interface FaultContext {
  res: ServerResponse;
  /** The provider's server-error answer for that HTTP status (undefined: the status the provider uses). */
  serverError(status?: number): WireResponse;
  /** The provider's rate-limit answer; `retryAfterSec` undefined means no Retry-After hint. */
  rateLimited(retryAfterSec: number | undefined): WireResponse;
  /** The real answer (faults applied after processing), else undefined. */
  real?: WireResponse;
  /** Keeps a stalled socket until close() or 60 s. */
  stall(socket: Socket): void;
}

export function writeFault(kind: FaultKind, ctx: FaultContext): void {
  const { res } = ctx;
  const socket = res.socket;
  switch (kind) {
    case '500':
    case '502':
    case '503':
      return send(res, { ...ctx.serverError(Number(kind)), status: Number(kind) });
    case '429':
    case '429-retry-after': {
      const wire = ctx.rateLimited(kind === '429' ? undefined : 1);
      return send(res, { ...wire, status: 429 });
    }
    case 'reset':
      if (socket) resetSocket(socket);
      return;
    case 'stall':
      if (socket) ctx.stall(socket);
      return;
    case 'malformed-json':
      return send(res, { status: 200, raw: Buffer.from('{"success": true, "data": {"id": "4f1c", "status": '), headers: { 'content-type': 'application/json' } });
    case 'html':
      return send(res, { status: 502, raw: Buffer.from(HTML_502), headers: { 'content-type': 'text/html' } });
    case 'busy':
      return send(res, ctx.serverError());
    case 'slow':
      setTimeout(() => send(res, ctx.real ?? ctx.serverError(500)), SLOW_MS).unref();
      return;
    case 'truncated': {
      const full = ctx.real && !ctx.real.raw && !ctx.real.stream ? Buffer.from(JSON.stringify(ctx.real.body)) : Buffer.from('{"success": true, "code": 0, "data": {"id": "4f1c", "status": "processing"}}');
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(full.length + 64) });
      res.write(full.subarray(0, Math.ceil(full.length / 2)), () => socket?.destroy());
      return;
    }
  }
}

/** A TCP reset where Node offers it, else a plain destroy. */
function resetSocket(socket: Socket): void {
  const s = socket as Socket & { resetAndDestroy?: () => void };
  if (typeof s.resetAndDestroy === 'function') s.resetAndDestroy();
  else socket.destroy();
}
