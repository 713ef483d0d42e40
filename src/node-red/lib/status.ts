import { LipSyncError, type JobStatus, type LipSyncJob } from '../../core';
import type { NodeStatus } from './red-types';

/** Translates a key of the node's own message catalog (`lipsync.status.*`). */
export type Translate = (key: string, vars?: Record<string, unknown>) => string;

/** Elapsed time the way a status line shows it: `8s`, `1m 12s`, `2h 05m`. */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, '0')}m`;
}

export interface WaitView {
  job?: LipSyncJob;
  startedAt: number;
  resumed: boolean;
}

const ORDER: JobStatus[] = ['processing', 'queued', 'completed', 'failed'];

/**
 * One status line for every wait a node has in flight:
 *   one wait:  `processing 40% · 1m 12s`
 *   several:   `3 jobs · 2 processing, 1 queued · 4m 10s` (time of the oldest)
 * plus `· 2 resumed` while waits picked up after a restart are still running.
 */
export function waitsStatus(t: Translate, waits: readonly WaitView[], now: number, leading: string[] = []): NodeStatus {
  if (waits.length === 0) return { fill: 'blue', shape: 'ring', text: leading.join(' · ') };
  const oldest = Math.min(...waits.map((w) => w.startedAt));
  const parts = [...leading];
  const anyProcessing = waits.some((w) => w.job?.status === 'processing');
  if (waits.length === 1) {
    const job = waits[0]!.job;
    const state = job ? t(`lipsync.status.${job.status}`) : t('lipsync.status.waiting');
    parts.push(typeof job?.progress === 'number' && job.status === 'processing' ? `${state} ${Math.round(job.progress)}%` : state);
  } else {
    parts.push(t('lipsync.status.jobs', { count: waits.length }));
    const counts = new Map<string, number>();
    for (const w of waits) {
      const key = w.job?.status ?? 'waiting';
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const keys = [...counts.keys()].sort((a, b) => rank(a) - rank(b));
    parts.push(keys.map((k) => `${counts.get(k)} ${t(`lipsync.status.${k}`)}`).join(', '));
  }
  parts.push(formatElapsed(now - oldest));
  const resumed = waits.filter((w) => w.resumed).length;
  if (resumed) parts.push(t('lipsync.status.resumed', { count: resumed }));
  return { fill: 'blue', shape: anyProcessing ? 'dot' : 'ring', text: parts.join(' · ') };
}

function rank(status: string): number {
  const i = ORDER.indexOf(status as JobStatus);
  return i === -1 ? ORDER.length : i;
}

export type Outcome = 'completed' | 'failed' | 'timedOut' | 'cancelled' | 'error';

const OUTCOME: Record<Outcome, NodeStatus> = {
  completed: { fill: 'green', shape: 'dot' },
  failed: { fill: 'red', shape: 'ring' },
  timedOut: { fill: 'yellow', shape: 'ring' },
  cancelled: { fill: 'grey', shape: 'ring' },
  error: { fill: 'red', shape: 'dot' },
};

/** The status a node rests on once nothing is in flight: how the last job ended. */
export function outcomeStatus(t: Translate, outcome: Outcome, elapsedMs?: number): NodeStatus {
  const text = t(`lipsync.status.${outcome}`);
  return { ...OUTCOME[outcome], text: elapsedMs === undefined ? text : `${text} · ${formatElapsed(elapsedMs)}` };
}

/** Error codes with a short reason of their own in the status line (`lipsync.status.reason.<code>`). */
const REASONS = new Set([
  'INVALID_INPUT',
  'AUTH_FAILED',
  'INSUFFICIENT_CREDITS',
  'RATE_LIMITED',
  'NOT_FOUND',
  'MEDIA_UNPROCESSABLE',
  'PROVIDER_ERROR',
  'NETWORK_ERROR',
  'TIMEOUT',
  'JOB_FAILED',
  'NOT_SUPPORTED',
]);

/**
 * The status a node rests on after an error: the reason a user acts on ("auth failed", "no credits", "job failed"),
 * with the HTTP status when the provider answered; `fallback` (e.g. "create failed") for anything else.
 */
export function errorStatus(t: Translate, error: unknown, fallback: string): NodeStatus {
  const code = LipSyncError.is(error) ? error.code : undefined;
  let text = code && REASONS.has(code) ? t(`lipsync.status.reason.${code}`) : t(fallback);
  if (LipSyncError.is(error) && error.httpStatus && code !== 'JOB_FAILED') text += ` (HTTP ${error.httpStatus})`;
  return { fill: 'red', shape: 'dot', text };
}
