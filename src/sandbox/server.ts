import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CallbackSender } from './callbacks';
import { control } from './control';
import { writeFault, FaultPlan, type FaultTarget } from './faults';
import { FileRoutes, UPLOAD_LIMIT } from './files';
import { flatHeaders, json, mediaType, queryObject, readBody, send, type WireResponse } from './http';
import { AssetStore, createMediaChecker, isLoopbackHost, loadSamples } from './media';
import { WIRES, mountedAt } from './providers';
import { failureText, type Identity, type KeyRing, type ProviderWire, type RouteContext } from './providers/common';
import { RateLimiter } from './ratelimit';
import { findRoute, loggedBody, parseRequest } from './request';
import { SpeechStore } from './speech';
import { JobStore, snapshot, type StoredJob } from './state';
import { SANDBOX_PROVIDERS, type ProviderId, type RecordedRequest, type Sandbox, type SandboxOptions } from './types';

/** A loopback HTTP server speaking the five providers' wire formats; see README "The sandbox". */

const NO_CREDITS_KEY = 'sandbox-no-credits';
const JSON_LIMIT = 1024 * 1024;
const STALL_MS = 60_000;
const PROBE_TIMEOUT_MS = 2_000;

function checkDuration(ms: unknown, name: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) throw new TypeError(`${name} must be a number of milliseconds >= 0`);
  return ms;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const apiKey = options.apiKey ?? 'sandbox-key';
  const initialDuration = checkDuration(options.jobDurationMs ?? 3_000, 'jobDurationMs');
  const maxRecorded = options.maxRecordedRequests ?? 200_000;
  const samples = loadSamples();

  const sockets = new Set<Socket>();
  const stalled = new Map<Socket, NodeJS.Timeout>();
  const probes = new AbortController();
  const requests: RecordedRequest[] = [];
  const faults = new FaultPlan();
  faults.set(options.faults);
  const limiter = new RateLimiter(options.rateLimits);
  const assets = new AssetStore();
  const speech = new SpeechStore();
  const tokens = new Map<string, Identity>();
  let origin = '';
  let port = 0;

  const jobs: JobStore = new JobStore(
    initialDuration,
    createMediaChecker({
      isSelf: (u) => u.protocol === 'http:' && isLoopbackHost(u.hostname) && Number(u.port || 80) === port,
      selfServes: (pathname) => files.lookup(pathname) !== undefined,
      timeoutMs: PROBE_TIMEOUT_MS,
      signal: probes.signal,
    }),
  );
  if (options.resultBytes !== undefined && !(Number.isSafeInteger(options.resultBytes) && options.resultBytes >= 0)) throw new TypeError('resultBytes must be a whole number of bytes >= 0');
  const files = new FileRoutes(samples, jobs, assets, options.resultBytes, speech);

  const keys: KeyRing = {
    identify: (key) => (key === apiKey ? 'ok' : key === NO_CREDITS_KEY ? 'no-credits' : undefined),
    identifyToken: (token) => tokens.get(token),
    issueToken(identity) {
      const token = `sandbox.${randomBytes(24).toString('base64url')}`;
      tokens.set(token, identity);
      return token;
    },
    akoolClientId: options.akoolClientId,
  };
  const resultUrl = (job: StoredJob) => `${origin}/results/${job.provider}/${encodeURIComponent(job.id)}.mp4`;
  const coverUrl = (job: StoredJob) => `${origin}/results/${job.provider}/${encodeURIComponent(job.id)}.jpg`;
  const callbacks = new CallbackSender({
    apiKey,
    options: { clientId: options.akoolClientId, ...options.akoolCallbacks },
    resultUrl,
    failureText,
    findJob: (id) => jobs.get('akool', id),
  });
  const scheduleCallbacks = (job: StoredJob) => callbacks.schedule(job);

  /** Logs a request; its status is filled in once the response is sent. */
  function record(entry: RecordedRequest, res: ServerResponse): RecordedRequest {
    requests.push(entry);
    // Trimmed in chunks so that a full log does not cost a copy per request.
    if (requests.length > maxRecorded * 1.1) requests.splice(0, requests.length - maxRecorded);
    res.on('finish', () => (entry.status = res.statusCode));
    return entry;
  }

  function stall(socket: Socket): void {
    const timer = setTimeout(() => socket.destroy(), STALL_MS);
    timer.unref();
    stalled.set(socket, timer);
    socket.once('close', () => {
      clearTimeout(timer);
      stalled.delete(socket);
    });
  }

  /** Sends `produce()`'s answer, unless a fault takes the request before (or, with after, instead of) it. */
  function respond(res: ServerResponse, target: FaultTarget, wire: ProviderWire | undefined, produce: () => WireResponse, entry?: RecordedRequest): void {
    const fault = faults.take(target);
    if (fault && entry) entry.fault = fault.kind;
    const real = !fault || fault.after || fault.kind === 'slow' ? produce() : undefined;
    if (!fault) return send(res, real!);
    writeFault(fault.kind, {
      res,
      real,
      stall,
      serverError: (status) => (wire ? wire.error('server-error', { status }) : json(status ?? 500, { error: 'Internal Server Error' })),
      rateLimited: (retryAfterSec) => {
        const answer = wire ? wire.error('rate-limited', { retryAfterSec }) : json(429, { error: 'Too Many Requests' });
        // Akool and JoggAI carry no header of their own; an injected Retry-After fault sends one for everyone.
        return retryAfterSec === undefined ? answer : { ...answer, headers: { ...answer.headers, 'retry-after': String(retryAfterSec) } };
      },
    });
  }

  async function handleProvider(req: IncomingMessage, res: ServerResponse, url: URL, wire: ProviderWire, path: string): Promise<void> {
    const multipart = mediaType(req.headers['content-type']) === 'multipart/form-data';
    const body = await readBody(req, multipart ? UPLOAD_LIMIT : JSON_LIMIT);
    const wreq = parseRequest(req, path, url, body);
    const entry = record(
      {
        provider: wire.id,
        method: wreq.method,
        path,
        url: req.url ?? path,
        query: wreq.query,
        headers: wreq.headers,
        body: loggedBody(wreq),
        ...(multipart ? {} : { rawBody: body.data.toString('utf8') }),
        at: Date.now(),
      },
      res,
    );

    const produce = (): WireResponse => {
      if (body.tooLarge) return wire.error('too-large');
      const found = findRoute(wire, wreq.method, path);
      if (!found) return json(404, { error: 'not found', message: `The sandbox has no ${wreq.method} ${path} for ${wire.id}` });
      const { route, params } = found;
      let identity: Identity = 'ok';
      if (!route.public) {
        const auth = wire.authenticate(wreq, keys);
        if (typeof auth !== 'string') return auth;
        identity = auth;
      }
      const now = Date.now();
      const retryAfterSec = limiter.check(wire.id, route.create === true, now);
      if (retryAfterSec !== undefined) return wire.error('rate-limited', { retryAfterSec });
      if (route.create && identity === 'no-credits') return wire.error('no-credits');
      const ctx: RouteContext = { now, identity, jobs, assets, speech, keys, origin, resultUrl, coverUrl, scheduleCallbacks };
      return route.handle(wreq, ctx, params);
    };
    respond(res, { provider: wire.id, method: wreq.method, url: entry.url, explicitOnly: false }, wire, produce, entry);
  }

  async function handleFile(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const method = req.method ?? 'GET';
    const body = await readBody(req, method === 'PUT' ? UPLOAD_LIMIT : JSON_LIMIT);
    const headers = flatHeaders(req);
    const target = req.url ?? url.pathname;
    // The signed-URL PUT is part of JoggAI's documented upload flow, so it is logged with JoggAI's requests.
    const upload = method === 'PUT' && url.pathname.startsWith('/storage/joggai/');
    const entry = upload
      ? record({ provider: 'joggai', method, path: url.pathname, url: target, query: queryObject(url.searchParams), headers, body: { size: body.data.length, contentType: headers['content-type'] ?? '' }, at: Date.now() }, res)
      : undefined;
    const produce = () => files.handle(method, url.pathname, headers, body.data, body.tooLarge) ?? json(404, { error: 'not found', message: `The sandbox has no ${method} ${url.pathname}` });
    respond(res, { provider: entry?.provider, method, url: target, explicitOnly: true }, undefined, produce, entry);
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const body = await readBody(req, JSON_LIMIT);
    let parsed: unknown;
    try {
      parsed = body.data.length ? JSON.parse(body.data.toString('utf8')) : undefined;
    } catch {
      return send(res, json(400, { error: 'the body is not valid JSON' }));
    }
    send(res, await control(sandbox, req.method ?? 'GET', url.pathname, url.searchParams, parsed));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://sandbox.local');
    } catch {
      return send(res, json(400, { error: 'bad request target' }));
    }
    if (options.logRequests) res.on('finish', () => console.log(`[sandbox] ${req.method} ${req.url} -> ${res.statusCode}`));
    if (url.pathname === '/__sandbox' || url.pathname.startsWith('/__sandbox/')) return handleControl(req, res, url);
    const mounted = mountedAt(url.pathname);
    if (mounted) return handleProvider(req, res, url, mounted.wire, mounted.path);
    return handleFile(req, res, url);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, json(500, { error: 'sandbox error', message: (e as Error).message }));
      else res.destroy();
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  port = address.port;
  origin = `http://${urlHost(address.address)}:${port}`;

  let closing: Promise<void> | undefined;
  const sandbox: Sandbox = {
    url: origin,
    port,
    baseUrl(provider: ProviderId) {
      const wire = WIRES[provider];
      if (!wire) throw new TypeError(`provider must be one of: ${SANDBOX_PROVIDERS.join(', ')}`);
      return `${origin}${wire.prefix}`;
    },
    get requests() {
      return requests;
    },
    get callbacks() {
      return callbacks.sent;
    },
    sendAkoolCallback: (callback) => callbacks.sendNow(callback),
    clearRequests: () => void (requests.length = 0),
    jobCount: (provider) => jobs.count(provider),
    getJob(provider, id) {
      const job = jobs.get(provider, id);
      return job && snapshot(job, Date.now(), resultUrl);
    },
    listJobs(provider) {
      const now = Date.now();
      return (provider ? [provider] : SANDBOX_PROVIDERS).flatMap((p) => jobs.list(p).map((j) => snapshot(j, now, resultUrl)));
    },
    setJobDuration(ms) {
      jobs.durationMs = checkDuration(ms, 'job duration');
    },
    injectFault: (spec) => faults.inject(spec),
    setFaults: (config) => faults.set(config),
    reset() {
      jobs.clear();
      jobs.durationMs = initialDuration;
      requests.length = 0;
      callbacks.reset();
      assets.clear();
      speech.clear();
      tokens.clear();
      limiter.clear();
      faults.set(options.faults);
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        probes.abort();
        callbacks.close();
        server.close(() => resolve());
        for (const timer of stalled.values()) clearTimeout(timer);
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
  return sandbox;
}

/** The host part of the sandbox URL: a wildcard address is reached through loopback; IPv6 needs brackets. */
function urlHost(address: string): string {
  if (address === '0.0.0.0' || address === '::') return '127.0.0.1';
  return address.includes(':') ? `[${address}]` : address;
}
