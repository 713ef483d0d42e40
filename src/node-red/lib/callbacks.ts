import { LipSyncError, ReplayGuard, jobFailedError, waitCancelledError, waitTimedOutError, type LipSyncClient, type LipSyncJob } from '../../index';

/**
 * Verified provider callbacks of one account, handed from the callback-in nodes to the waits on that account, in
 * this process. Callbacks are verified by the callback node before they get here; the hub only routes them.
 */

type Listener = (job: LipSyncJob) => void;

const terminal = (job: LipSyncJob) => job.status === 'completed' || job.status === 'failed';

/** How long a finished job's callback is kept for a wait that starts after it arrived. */
const RECENT_TTL_MS = 60 * 60_000;
const RECENT_MAX = 2_000;

export class CallbackHub {
  /** One guard per account, shared by every callback node on it: a body accepted by one is refused by all. */
  readonly guard = new ReplayGuard();
  private readonly listeners = new Map<string, Set<Listener>>();
  /** Last status per job (bounded): a terminal one answers waits that start late; a repeated status is dropped. */
  private readonly recent = new Map<string, { job: LipSyncJob; at: number }>();
  /** Callback nodes on this account that are listening. */
  receivers = 0;

  /**
   * Routes a verified job to the waits for its id. False when this status of the job was already delivered
   * (Akool retries, or re-signs the same news): the caller should answer 200 and emit nothing.
   */
  publish(job: LipSyncJob, now = Date.now()): boolean {
    const before = this.recent.get(job.id)?.job;
    // A repeated status, or a late "processing" after the job ended (retries can arrive out of order), is old news.
    if (before && (before.status === job.status || terminal(before))) return false;
    this.recent.delete(job.id);
    this.recent.set(job.id, { job, at: now });
    for (const [id, entry] of this.recent) {
      if (this.recent.size <= RECENT_MAX && now - entry.at <= RECENT_TTL_MS) break;
      this.recent.delete(id);
    }
    for (const fn of [...(this.listeners.get(job.id) ?? [])]) fn(job);
    return true;
  }

  /** Calls `fn` for every callback of `jobId` from now on (and at once for a finished job already received). */
  subscribe(jobId: string, fn: Listener): () => void {
    let set = this.listeners.get(jobId);
    if (!set) this.listeners.set(jobId, (set = new Set()));
    set.add(fn);
    const known = this.recent.get(jobId)?.job;
    if (known && (known.status === 'completed' || known.status === 'failed')) queueMicrotask(() => set.has(fn) && fn(known));
    return () => {
      set.delete(fn);
      if (set.size === 0 && this.listeners.get(jobId) === set) this.listeners.delete(jobId);
    };
  }
}

export interface CallbackWaitOptions {
  timeoutMs: number;
  signal: AbortSignal;
  /** Look the job up once before waiting (after a restart, the callback may have come while Node-RED was down). */
  checkFirst: boolean;
  onProgress(job: LipSyncJob): void;
}

function settle(job: LipSyncJob, id: string): LipSyncJob {
  if (job.status === 'completed') return job;
  throw jobFailedError(job, id);
}


/**
 * Waits for the job's verified callback instead of polling: no status request while waiting, and one status
 * check when the time is up (a lost callback then still finds a finished job). Same outcomes as waitForJob.
 */
export async function waitForCallback(hub: CallbackHub, client: LipSyncClient, id: string, options: CallbackWaitOptions): Promise<LipSyncJob> {
  const { signal } = options;
  let last: LipSyncJob | undefined;
  const lookUp = async () => {
    try {
      return (last = await client.getJob(id, { signal }));
    } catch (e) {
      if (signal.aborted) throw waitCancelledError(id, last, signal);
      throw LipSyncError.is(e) ? e.withJobId(id) : e;
    }
  };
  if (signal.aborted) throw waitCancelledError(id, last, signal);
  if (options.checkFirst) {
    const job = await lookUp();
    options.onProgress(job);
    if (terminal(job)) return settle(job, id);
  }
  const job = await new Promise<LipSyncJob | undefined>((resolve, reject) => {
    const stop = () => {
      clearTimeout(timer);
      unsubscribe();
      signal.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      stop();
      reject(waitCancelledError(id, last, signal));
    };
    const timer = setTimeout(() => {
      stop();
      resolve(undefined);
    }, options.timeoutMs);
    const unsubscribe = hub.subscribe(id, (j) => {
      last = j;
      options.onProgress(j);
      if (!terminal(j)) return;
      stop();
      resolve(j);
    });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  if (job) return settle(job, id);
  // Time is up without a final callback: one status check, then give up like a polling wait would.
  const checked = await lookUp();
  options.onProgress(checked);
  if (terminal(checked)) return settle(checked, id);
  throw waitTimedOutError(id, checked, options.timeoutMs);
}
