import { ERROR_CODES, LipSyncError, jobFailedError, type LipSyncJob } from '../../core';
import { waitForCallback } from './callbacks';
import type { NodeWaits, SavedWait, WaitJournal } from './journal';
import { asError, persistable, withError, withJob } from './messages';
import type { AccountNode, DoneFn, NodeMessage, NodeStatus, RedNode, SendFn } from './red-types';
import { type Outcome, type Translate, errorStatus, outcomeStatus, waitsStatus } from './status';

/** Context key holding the waits in flight, so they survive a redeploy or a Node-RED restart. */
export const PENDING_KEY = 'lipsyncPendingWaits';

export interface WaitSettings {
  timeoutMs: number;
  /** Fixed poll interval; undefined = the provider's adaptive schedule. */
  pollIntervalMs?: number;
  /** Context store for pending waits ('' or undefined = the default store). */
  store?: string;
  /** Runs on a completed job before its message is sent (downloads the video into the message). */
  deliver?: (job: LipSyncJob, msg: NodeMessage, signal: AbortSignal) => Promise<void>;
  /** 'callback': no polling; the job's verified Akool callback (through a callback node on the account) ends the wait. */
  mode?: 'poll' | 'callback';
  /** The journal in Node-RED's user directory: waits survive a stop or a crash whatever the context store. */
  journal?: WaitJournal;
}

interface LiveWait {
  key: string;
  saved: SavedWait;
  msg: NodeMessage;
  controller: AbortController;
  job?: LipSyncJob;
  resumed: boolean;
  cancelled: boolean;
  settled?: Promise<void>;
}

/**
 * Waits handed from a closing node to its next instance in this process. Node-RED deletes a node's context when
 * it stops unless a context store is configured, so a redeploy alone would lose them otherwise; the context store
 * still carries them across a restart when it is persistent.
 */
const handover = new Map<string, NodeWaits>();

/** Aborted waits settle at once; this only bounds a close if something hangs (Node-RED allows 15 s). */
const CLOSE_GRACE_MS = 5_000;

/**
 * The waits one node runs: polling through the account's shared client, status line, msg.cancel, the close
 * handler, and the copy kept in the node's context. Outputs: [completed, failed / timed out / cancelled].
 */
export class Waits {
  private readonly live = new Map<string, LiveWait>();
  private saved: NodeWaits = {};
  private chain: Promise<void>;
  private closing = false;
  private writeQueued = false;
  private renderQueued = false;
  private ticker?: NodeJS.Timeout;
  private resting?: NodeStatus;
  private shown?: string;

  constructor(
    private readonly node: RedNode,
    private readonly settings: WaitSettings,
    private readonly account: () => AccountNode,
    private readonly t: Translate,
    private readonly newKey: () => string,
    /**
     * Calls back once every node of the deploy exists (Node-RED creates nodes one by one, asynchronously): waits
     * resumed from the context are started only then, so their status and messages reach nodes created after this one.
     */
    private readonly onFlowsStarted: (fn: () => void) => void,
    /** Extra leading status parts (the create node shows creates in flight). */
    private readonly leading: () => string[] = () => [],
  ) {
    this.chain = this.resume();
  }

  /** Waits for `jobId` and routes `msg` when the job ends. */
  start(jobId: string, msg: NodeMessage, send: SendFn, done: DoneFn): void {
    if (this.closing) {
      done();
      return;
    }
    const saved: SavedWait = { jobId, startedAt: Date.now(), msg: persistable(msg), provider: this.provider() };
    const key = this.newKey();
    this.saved[key] = saved;
    this.persist();
    this.run({ key, saved, msg, controller: new AbortController(), resumed: false, cancelled: false }, send, done);
  }

  /** Stops waiting for one job id, or for every job when `jobId` is undefined. Returns how many stopped. */
  cancel(jobId?: string): number {
    let n = 0;
    for (const w of this.live.values()) {
      if (jobId !== undefined && w.saved.jobId !== jobId) continue;
      w.cancelled = true;
      w.controller.abort(new Error(this.t('lipsync.errors.cancelled')));
      n++;
    }
    return n;
  }

  /**
   * Close handler: aborts every wait at once. On a redeploy that keeps the node, or a shutdown, the pending
   * waits stay in the context store and the next instance resumes them; a removed node forgets them.
   */
  async close(removed: boolean): Promise<void> {
    this.closing = true;
    this.stopTicker();
    for (const w of this.live.values()) w.controller.abort(new Error(this.t('lipsync.errors.closed')));
    const settled = Promise.all([...this.live.values()].map((w) => w.settled));
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([settled, new Promise((r) => (timer = setTimeout(r, CLOSE_GRACE_MS)))]);
    clearTimeout(timer);
    if (removed) this.saved = {};
    const kept = Object.values(this.saved);
    if (kept.length) handover.set(this.handoverKey(), { ...this.saved });
    else handover.delete(this.handoverKey());
    this.persist();
    await this.chain;
    await this.settings.journal?.flush();
    if (kept.length) {
      const where = this.settings.journal ? this.settings.journal.file : this.t('lipsync.log.contextStore');
      this.node.log(this.t('lipsync.log.kept', { count: kept.length, ids: kept.map((w) => w.jobId).join(', '), where }));
    }
    this.node.status({});
  }

  /** Sets the status shown once nothing is in flight, and shows it if that is now. */
  rest(status: NodeStatus): void {
    this.resting = status;
    this.render();
  }

  /**
   * Re-renders the status line (also called by the node when its own leading parts change). Calls within one
   * turn of the event loop render once: a burst of thousands of waits would otherwise rebuild the line (a pass
   * over every wait) once per wait.
   */
  render(): void {
    if (this.renderQueued || this.closing) return;
    this.renderQueued = true;
    setImmediate(() => {
      this.renderQueued = false;
      this.renderNow();
    });
  }

  private renderNow(): void {
    if (this.closing) return;
    const lead = this.leading();
    if (this.live.size === 0 && lead.length === 0) {
      this.stopTicker();
      this.show(this.resting ?? {});
      return;
    }
    const views = [...this.live.values()].map((w) => ({ job: w.job, startedAt: w.saved.startedAt, resumed: w.resumed }));
    this.show(waitsStatus(this.t, views, Date.now(), lead));
    // Ticks while anything is in flight: the elapsed time of waits, the countdown of a rate-limited create.
    if (!this.ticker) {
      this.ticker = setInterval(() => this.render(), 1000);
      this.ticker.unref();
    }
  }

  /** Sends a status only when it changed: the editor gets one update per change, not one per poll and tick. */
  private show(status: NodeStatus): void {
    const key = JSON.stringify(status);
    if (key === this.shown) return;
    this.shown = key;
    this.node.status(status);
  }

  private stopTicker(): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
  }

  private run(w: LiveWait, send: SendFn, done: DoneFn): void {
    this.live.set(w.key, w);
    this.render();
    w.settled = this.wait(w)
      .then((job) => this.deliver(w, job))
      .then(
        (job) => this.finish(w, 'completed', job, undefined, send, done),
        (error: unknown) => this.fail(w, error, send, done),
      )
      .catch((e: unknown) => this.node.error(e, w.msg));
  }

  private async wait(w: LiveWait): Promise<LipSyncJob> {
    const given = w.msg.payload as Partial<LipSyncJob> | undefined;
    const account = this.account();
    // A job that already ended (e.g. straight from a job status node) needs no polling.
    if (given && given.id === w.saved.jobId && given.provider === account.provider && (given.status === 'completed' || given.status === 'failed')) {
      w.job = given as LipSyncJob;
      if (given.status === 'completed') return w.job;
      throw jobFailedError(w.job);
    }
    if (w.saved.provider && w.saved.provider !== account.provider) {
      // Said in the log too: a Catch node may take the error, and the job id must not be lost with it.
      const changed = new LipSyncError(
        ERROR_CODES.INVALID_INPUT,
        `Job ${w.saved.jobId} was created on ${w.saved.provider}, but the node's account now uses ${account.provider}, so its wait was not resumed. Look the job up with a job status node on a ${w.saved.provider} account`,
        { field: 'account', jobId: w.saved.jobId },
      );
      this.node.warn(changed.message);
      throw changed;
    }
    const client = account.getClient();
    const remaining = Math.max(0, w.saved.startedAt + this.settings.timeoutMs - Date.now());
    if (this.settings.mode === 'callback') return this.waitForCallback(w, account, remaining);
    return client.waitForJob(w.saved.jobId, {
      timeoutMs: remaining,
      pollIntervalMs: this.settings.pollIntervalMs,
      // After a restart, look at once: the job may have finished while Node-RED was down.
      initialDelayMs: w.resumed ? 0 : undefined,
      signal: w.controller.signal,
      onProgress: (job) => {
        w.job = job;
        // A finished job is shown by finish(), with its outcome colour.
        if (job.status !== 'completed' && job.status !== 'failed') this.render();
      },
    });
  }

  /** The node's result step (download) for a completed job; on failure the message still carries the job. */
  private async deliver(w: LiveWait, job: LipSyncJob): Promise<LipSyncJob> {
    if (!this.settings.deliver) return job;
    w.job = job;
    try {
      await this.settings.deliver(job, w.msg, w.controller.signal);
    } catch (error) {
      withJob(w.msg, job);
      throw error;
    }
    return job;
  }

  /** Callback mode: the account's callback nodes end the wait; one status check at the timeout (and after a restart). */
  private waitForCallback(w: LiveWait, account: AccountNode, remaining: number): Promise<LipSyncJob> {
    if (account.provider !== 'akool' || !account.callbacks) {
      throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `Wait for: "Akool callbacks" needs an Akool account, and this one is ${account.provider}. Pick "polling" in the wait node`, {
        field: 'waitMode',
        jobId: w.saved.jobId,
      });
    }
    if (account.callbacks.receivers === 0) this.node.warn(this.t('lipsync.errors.noCallbackNode', { id: w.saved.jobId }));
    return waitForCallback(account.callbacks, account.getClient(), w.saved.jobId, {
      timeoutMs: remaining,
      signal: w.controller.signal,
      checkFirst: w.resumed,
      onProgress: (job) => {
        w.job = job;
        if (job.status !== 'completed' && job.status !== 'failed') this.render();
      },
    });
  }

  private fail(w: LiveWait, error: unknown, send: SendFn, done: DoneFn): void {
    if (this.closing) return this.leaveForNextInstance(w, done);
    const code = LipSyncError.is(error) ? error.code : undefined;
    const job = LipSyncError.is(error) ? (error.job ?? w.job) : w.job;
    if (code === ERROR_CODES.JOB_FAILED) return this.finish(w, 'failed', job, error, send, done);
    if (code === ERROR_CODES.TIMEOUT) return this.finish(w, 'timedOut', job, error, send, done);
    if (code === ERROR_CODES.ABORTED) return this.finish(w, 'cancelled', job, error, send, done);
    // Anything else (auth, not found, provider down past the retries) goes to Catch nodes via done(err).
    this.forget(w);
    withError(w.msg, error, w.saved.jobId);
    this.resting = errorStatus(this.t, error, 'lipsync.status.error');
    this.render();
    done(asError(error, w.saved.jobId));
  }

  private finish(w: LiveWait, outcome: Outcome, job: LipSyncJob | undefined, error: unknown, send: SendFn, done: DoneFn): void {
    if (this.closing) return this.leaveForNextInstance(w, done);
    this.forget(w);
    if (job) withJob(w.msg, job);
    else {
      w.msg.payload = { id: w.saved.jobId, provider: this.provider() };
      w.msg.jobId = w.saved.jobId;
    }
    if (error) withError(w.msg, error, w.saved.jobId);
    this.resting = outcomeStatus(this.t, outcome, Date.now() - w.saved.startedAt);
    this.render();
    send(outcome === 'completed' ? [w.msg, null] : [null, w.msg]);
    done();
  }

  /**
   * The node is closing (redeploy, shutdown): whatever the wait saw last, it stays saved and unsent, so the
   * next instance of this node resumes it and routes it exactly once.
   */
  private leaveForNextInstance(w: LiveWait, done: DoneFn): void {
    this.live.delete(w.key);
    done();
  }

  private forget(w: LiveWait): void {
    this.live.delete(w.key);
    delete this.saved[w.key];
    this.persist();
  }

  private provider(): string | undefined {
    try {
      return this.account().provider;
    } catch {
      return undefined;
    }
  }

  /**
   * Queues a write of the pending waits. Writes are serialised, and changes made while a write is still queued
   * ride on it (it reads the state when it starts), so a burst of waits costs one write, not one copy each.
   */
  private persist(): void {
    this.settings.journal?.set(this.handoverKey(), this.saved);
    if (this.writeQueued) return;
    this.writeQueued = true;
    this.chain = this.chain.then(
      () =>
        new Promise<void>((resolve) => {
          this.writeQueued = false;
          const value = Object.keys(this.saved).length ? { ...this.saved } : undefined;
          this.node.context().set(PENDING_KEY, value, this.settings.store || undefined, (err) => {
            if (err) this.node.warn(this.t('lipsync.errors.contextWrite', { error: err.message }));
            resolve();
          });
        }),
    );
  }

  private handoverKey(): string {
    return `${this.node._alias ?? this.node.id}:${this.node.z ?? ''}`;
  }

  /** Takes over what a previous instance left (handed over in this process, or in the context store) and resumes it. */
  private resume(): Promise<void> {
    const handed = handover.get(this.handoverKey()) ?? {};
    handover.delete(this.handoverKey());
    // Claimed now, before the flows start: the journal drops what no node claimed by then.
    const journalled = this.settings.journal?.take(this.handoverKey()) ?? {};
    return new Promise<void>((resolve) => {
      this.node.context().get(PENDING_KEY, this.settings.store || undefined, (err, value) => {
        if (err) this.node.warn(this.t('lipsync.errors.contextRead', { error: err.message }));
        const found = { ...(value && typeof value === 'object' ? (value as NodeWaits) : {}), ...journalled, ...handed };
        const valid = Object.entries(found).filter(([, s]) => s && typeof s.jobId === 'string' && typeof s.startedAt === 'number');
        for (const [key, saved] of valid) if (!this.saved[key]) this.saved[key] = saved;
        resolve();
        if (valid.length === 0) return;
        this.onFlowsStarted(() => {
          if (this.closing) return;
          this.node.log(this.t('lipsync.log.resuming', { count: valid.length, ids: valid.map(([, s]) => s.jobId).join(', ') }));
          for (const [key, saved] of valid) {
            const msg: NodeMessage = { ...(saved.msg ?? {}), jobId: saved.jobId };
            const send: SendFn = (m) => this.node.send(m);
            const done: DoneFn = (e) => {
              if (e) this.node.error(e, msg);
            };
            this.run({ key, saved, msg, controller: new AbortController(), resumed: true, cancelled: false }, send, done);
          }
        });
      });
    });
  }
}
