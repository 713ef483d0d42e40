import { randomInt } from 'node:crypto';
import { encryptAkoolCallback, type AkoolCallbackBody } from '../providers/akool/webhook';
import { viewJob, type StoredJob } from './state';
import type { AkoolCallbackOptions, CallbackAttempt, ManualCallback, SentCallback } from './types';

/**
 * Akool's webhook, as the docs describe it (providers.md C): for a job created with `webhookUrl`, a JSON POST of
 * `{ signature, dataEncrypt, timestamp, nonce }` when the job starts processing (status 2) and when it ends (3 or 4),
 * encrypted and signed with the core's own functions (AES-CBC, key = client secret = API key, IV = client id;
 * SHA-1 over the sorted values). Anything but HTTP 200 is retried with backoff, a bounded number of times.
 *
 * Not documented by Akool, so chosen here: each attempt is signed afresh (new timestamp and nonce), so a retry
 * long after the first attempt is not refused as stale; the retry schedule is `retryDelaysMs`.
 */

export const SANDBOX_AKOOL_CLIENT_ID = 'sandbox-clientid';
const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000];
const DEFAULT_ATTEMPT_TIMEOUT_MS = 10_000;
/** Akool's status numbers. */
const AKOOL_STATUS = { processing: 2, completed: 3, failed: 4 } as const;
type CallbackStatus = keyof typeof AKOOL_STATUS;

export interface CallbackSenderDeps {
  apiKey: string;
  options?: AkoolCallbackOptions;
  resultUrl(job: StoredJob): string;
  failureText(job: StoredJob): string;
  findJob(id: string): StoredJob | undefined;
}

export class CallbackSender {
  readonly sent: SentCallback[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private readonly clientId: string;
  private readonly clientSecret: string;
  private readonly retryDelaysMs: number[];
  private readonly timeoutMs: number;
  private readonly enabled: boolean;
  private closed = false;

  constructor(private readonly deps: CallbackSenderDeps) {
    const o = deps.options ?? {};
    this.clientId = o.clientId ?? SANDBOX_AKOOL_CLIENT_ID;
    this.clientSecret = o.clientSecret ?? deps.apiKey;
    this.retryDelaysMs = o.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    this.timeoutMs = o.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.enabled = o.send !== false;
  }

  /** Called once per job created with a webhookUrl: sends "processing", then the outcome, as the job moves. */
  schedule(job: StoredJob): void {
    if (!this.enabled || !job.webhookUrl) return;
    let sentProcessing = false;
    const step = () => {
      const now = Date.now();
      const view = viewJob(job, now);
      if (view.status === 'queued') return this.at(Math.max(20, job.startAt - now), step);
      if (view.status === 'processing') {
        if (!sentProcessing) {
          sentProcessing = true;
          this.deliver(job, 'processing');
        }
        return this.at(Math.max(1, job.endAt - now), step);
      }
      // A job whose media could not be fetched fails without ever processing: only its failure is sent.
      if (!sentProcessing && job.failure?.cause !== 'media') this.deliver(job, 'processing');
      this.deliver(job, view.status);
    };
    this.at(Math.max(1, job.startAt - Date.now()), step);
  }

  /**
   * One callback sent at once, without retries, for tests: a genuine one, or forged (signed with another
   * secret), late (an old timestamp) or a byte-for-byte replay of an earlier one.
   */
  async sendNow(manual: ManualCallback): Promise<SentCallback> {
    if (manual.replay !== undefined) {
      const original = typeof manual.replay === 'number' ? this.sent[manual.replay] : manual.replay;
      if (!original) throw new TypeError(`replay: no callback #${String(manual.replay)} was sent`);
      return this.post({ ...original, kind: 'replay', url: manual.url ?? original.url, attempts: [], delivered: false }, false);
    }
    const job = this.deps.findJob(manual.jobId ?? '');
    if (!job) throw new TypeError(`jobId: the sandbox has no Akool job ${String(manual.jobId)}`);
    const url = manual.url ?? job.webhookUrl;
    if (!url) throw new TypeError(`url: job ${job.id} was created without a webhookUrl, so give the URL to send to`);
    const status = manual.status ?? viewJob(job, Date.now()).status;
    if (status === 'queued') throw new TypeError('status: Akool sends no callback for a queued job; use processing, completed or failed');
    const entry = this.build(job, status, url, manual.forged ? 'forged' : manual.timestamp !== undefined ? 'late' : 'manual', manual);
    return this.post(entry, false);
  }

  /** Back to no callbacks: pending ones are dropped. */
  reset(): void {
    this.stop();
    this.sent.length = 0;
  }

  close(): void {
    this.closed = true;
    this.stop();
  }

  private stop(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }

  private at(ms: number, fn: () => void): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  private deliver(job: StoredJob, status: CallbackStatus): void {
    const entry = this.build(job, status, job.webhookUrl!, 'scheduled');
    void this.post(entry, true);
  }

  /** The decrypted payload Akool documents: { _id, status, type, url } (plus a failure reason, as siblings do). */
  private payload(job: StoredJob, status: CallbackStatus): Record<string, unknown> {
    return {
      _id: job.id,
      status: AKOOL_STATUS[status],
      type: 'lipsync',
      url: status === 'completed' ? this.deps.resultUrl(job) : '',
      ...(status === 'failed' ? { error_reason: this.deps.failureText(job) } : {}),
    };
  }

  private build(job: StoredJob, status: CallbackStatus, url: string, kind: SentCallback['kind'], manual: ManualCallback = {}): SentCallback {
    const payload = this.payload(job, status);
    return { provider: 'akool', kind, jobId: job.id, url, status: AKOOL_STATUS[status], payload, body: this.sign(payload, manual), attempts: [], delivered: false };
  }

  private sign(payload: Record<string, unknown>, manual: ManualCallback = {}): AkoolCallbackBody | undefined {
    const secrets = manual.forged
      ? { clientId: this.clientId, clientSecret: 'forged-secret-0123456789' }
      : { clientId: this.clientId, clientSecret: this.clientSecret };
    try {
      const body = encryptAkoolCallback(payload, secrets, manual.timestamp ?? Date.now(), String(randomInt(1, 100_000)));
      // A forger does not know the client id either: the signature cannot match.
      return manual.forged ? { ...body, signature: body.signature.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')) } : body;
    } catch {
      return undefined;
    }
  }

  /** POSTs the callback; scheduled ones are retried on anything but 200, then given up. */
  private async post(entry: SentCallback, retry: boolean): Promise<SentCallback> {
    this.sent.push(entry);
    for (let attempt = 0; ; attempt++) {
      if (this.closed) return entry;
      // Each retry is signed afresh (entry.kind 'scheduled' only): a callback that waited minutes is not stale.
      if (attempt > 0 && entry.kind === 'scheduled') entry.body = this.sign(entry.payload);
      const record: CallbackAttempt = { at: Date.now() };
      entry.attempts.push(record);
      if (!entry.body) {
        record.error = `the sandbox cannot encrypt Akool callbacks with its API key: Akool's client secret (the API key) must be 16, 24 or 32 characters; start the sandbox with such an apiKey or set akoolCallbacks.clientSecret`;
        return entry;
      }
      const controller = new AbortController();
      this.inFlight.add(controller);
      const timer = setTimeout(() => controller.abort(), this.timeoutMs);
      try {
        const res = await fetch(entry.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(entry.body), signal: controller.signal });
        record.status = res.status;
        await res.body?.cancel().catch(() => undefined);
        if (res.status === 200) {
          entry.delivered = true;
          return entry;
        }
      } catch (e) {
        record.error = (e as Error).message;
      } finally {
        clearTimeout(timer);
        this.inFlight.delete(controller);
      }
      const delay = this.retryDelaysMs[attempt];
      if (!retry || delay === undefined || this.closed) return entry;
      await new Promise<void>((resolve) => this.at(delay, resolve));
    }
  }
}
