import { SANDBOX_PROVIDERS, type ProviderId, type SandboxJob, type SandboxJobStatus } from './types';

/**
 * The jobs of all providers. A job keeps only its times; its status is computed from the clock on each read,
 * so there is no timer per job and 10,000 jobs cost a few MB.
 */

/** Why a job fails: its media could not be fetched (at the start of processing), or a `sandbox_fail` hint (at the end). */
export interface JobFailure {
  cause: 'media' | 'forced';
  media?: 'video' | 'audio';
  detail: string;
}

export interface StoredJob {
  provider: ProviderId;
  id: string;
  createdAt: number;
  durationMs: number;
  /** Processing window; moved later if a media check finishes after the queue time. */
  startAt: number;
  endAt: number;
  /** A loopback media URL is still being fetched: the job stays queued. */
  checking: boolean;
  failure?: JobFailure;
  videoUrl?: string;
  audioUrl?: string;
  referenceId?: string;
  playbackType?: string;
  webhookUrl?: string;
  /** Provider-specific values fixed at creation (e.g. Akool's video_id). */
  meta: Record<string, string | number>;
}

export interface JobView {
  status: SandboxJobStatus;
  /** 0..100 */
  progress: number;
  startedAt?: number;
  finishedAt?: number;
  /** Time of the last visible change. */
  updatedAt: number;
}

/** Share of the duration a job stays queued. */
const QUEUED_SHARE = 0.2;

export function viewJob(job: StoredJob, now: number): JobView {
  if (job.checking || now < job.startAt) return { status: 'queued', progress: 0, updatedAt: job.createdAt };
  const startedAt = job.startAt;
  if (job.failure?.cause === 'media') return { status: 'failed', progress: 0, startedAt, finishedAt: startedAt, updatedAt: startedAt };
  if (now < job.endAt) {
    const progress = Math.min(99, Math.floor(((now - startedAt) / (job.endAt - startedAt)) * 100));
    return { status: 'processing', progress, startedAt, updatedAt: now };
  }
  const finishedAt = job.endAt;
  if (job.failure) return { status: 'failed', progress: 99, startedAt, finishedAt, updatedAt: finishedAt };
  return { status: 'completed', progress: 100, startedAt, finishedAt, updatedAt: finishedAt };
}

/** Test hints on the video URL (query or fragment): `sandbox_duration=MS`, `sandbox_fail=1`. */
export function readHints(url: string | undefined): { durationMs?: number; fail: boolean } {
  if (!url) return { fail: false };
  let params: URLSearchParams;
  try {
    const u = new URL(url);
    params = new URLSearchParams(`${u.search.slice(1)}&${u.hash.slice(1)}`);
  } catch {
    return { fail: false };
  }
  const duration = Number(params.get('sandbox_duration'));
  const fail = params.get('sandbox_fail');
  return {
    durationMs: params.has('sandbox_duration') && Number.isFinite(duration) && duration >= 0 ? duration : undefined,
    fail: fail === '1' || fail === 'true',
  };
}

export interface NewJob {
  id: string;
  videoUrl?: string;
  audioUrl?: string;
  referenceId?: string;
  playbackType?: string;
  webhookUrl?: string;
  meta?: Record<string, string | number>;
  /** Other keys this job can be found by (latest job wins), e.g. a Chamelaion reference_id. */
  aliases?: string[];
}

/** What the media check says about a URL: fine, broken, or still being fetched. */
export type MediaCheck = { ok: true } | { ok: false; reason: string } | Promise<{ ok: true } | { ok: false; reason: string }>;

interface ProviderJobs {
  byId: Map<string, StoredJob>;
  /** Creation order. */
  order: StoredJob[];
  byAlias: Map<string, StoredJob>;
}

export class JobStore {
  private readonly jobs = new Map<ProviderId, ProviderJobs>();

  constructor(
    public durationMs: number,
    private readonly checkMedia: (url: string) => MediaCheck,
  ) {
    this.clear();
  }

  clear(): void {
    for (const p of SANDBOX_PROVIDERS) this.jobs.set(p, { byId: new Map(), order: [], byAlias: new Map() });
  }

  create(provider: ProviderId, input: NewJob, now = Date.now()): StoredJob {
    const hints = readHints(input.videoUrl);
    const durationMs = hints.durationMs ?? this.durationMs;
    const startAt = now + Math.round(durationMs * QUEUED_SHARE);
    const job: StoredJob = {
      provider,
      id: input.id,
      createdAt: now,
      durationMs,
      startAt,
      endAt: Math.max(startAt, now + durationMs),
      checking: false,
      videoUrl: input.videoUrl,
      audioUrl: input.audioUrl,
      referenceId: input.referenceId,
      playbackType: input.playbackType,
      webhookUrl: input.webhookUrl,
      meta: input.meta ?? {},
    };
    if (hints.fail) job.failure = { cause: 'forced', detail: 'sandbox_fail was set on the video URL' };
    this.checkJobMedia(job);
    const jobs = this.of(provider);
    jobs.byId.set(job.id, job);
    jobs.order.push(job);
    for (const alias of input.aliases ?? []) jobs.byAlias.set(alias, job);
    return job;
  }

  get(provider: ProviderId, id: string): StoredJob | undefined {
    return this.of(provider).byId.get(id);
  }

  byAlias(provider: ProviderId, alias: string): StoredJob | undefined {
    return this.of(provider).byAlias.get(alias);
  }

  /** Newest first. */
  list(provider: ProviderId): StoredJob[] {
    return this.of(provider).order.slice().reverse();
  }

  count(provider?: ProviderId): number {
    if (provider) return this.of(provider).order.length;
    let n = 0;
    for (const p of this.jobs.values()) n += p.order.length;
    return n;
  }

  private of(provider: ProviderId): ProviderJobs {
    const jobs = this.jobs.get(provider);
    if (!jobs) throw new TypeError(`provider must be one of: ${SANDBOX_PROVIDERS.join(', ')}`);
    return jobs;
  }

  /** Video first, then audio; a pending check keeps the job queued until it settles. */
  private checkJobMedia(job: StoredJob): void {
    const media = (['video', 'audio'] as const).flatMap((kind) => {
      const url = kind === 'video' ? job.videoUrl : job.audioUrl;
      return url ? [{ kind, check: this.checkMedia(url) }] : [];
    });
    const fail = (kind: 'video' | 'audio', reason: string) => {
      if (job.failure?.cause !== 'media') job.failure = { cause: 'media', media: kind, detail: reason };
    };
    const pending: Promise<void>[] = [];
    for (const { kind, check } of media) {
      if (check instanceof Promise) pending.push(check.then((r) => (r.ok ? undefined : fail(kind, r.reason))));
      else if (!check.ok) fail(kind, check.reason);
    }
    if (pending.length === 0) return;
    job.checking = true;
    void Promise.all(pending).then(() => {
      job.checking = false;
      const late = Date.now() - job.startAt;
      if (late > 0) {
        job.startAt += late;
        job.endAt += late;
      }
    });
  }
}

/** The job in the common vocabulary. */
export function snapshot(job: StoredJob, now: number, resultUrl: (job: StoredJob) => string): SandboxJob {
  const v = viewJob(job, now);
  return {
    provider: job.provider,
    id: job.id,
    status: v.status,
    progress: v.progress,
    createdAt: job.createdAt,
    startedAt: v.startedAt,
    finishedAt: v.finishedAt,
    durationMs: job.durationMs,
    videoUrl: job.videoUrl,
    audioUrl: job.audioUrl,
    referenceId: job.referenceId,
    playbackType: job.playbackType,
    webhookUrl: job.webhookUrl,
    resultUrl: v.status === 'completed' ? resultUrl(job) : undefined,
    error: v.status === 'failed' ? job.failure?.detail : undefined,
  };
}
