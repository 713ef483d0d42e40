import type { CreateInput, LipSyncJob, ProviderId } from '../index';
import { mediaInput, readMedia } from './lib/media';
import { accountOf, asError, evaluate, withError, withJob } from './lib/messages';
import type { DoneFn, NodeAPI, NodeDef, NodeMessage, RedNode, SendFn } from './lib/red-types';
import { type ResultDef, resultDelivery } from './lib/result';
import { type WaitDef, waitSettings } from './lib/settings';
import { Waits } from './lib/waits';
import { nodeRedJournal } from './lib/journal';
import { errorStatus } from './lib/status';
import { cachedTranslate } from './lib/i18n';

interface CreateDef extends NodeDef, WaitDef, ResultDef {
  account: string;
  videoUrl: string;
  videoUrlType: string;
  audioUrl: string;
  audioUrlType: string;
  wait?: boolean;
  webhookUrl?: string;
  webhookUrlType?: string;
  referenceId?: string;
  referenceIdType?: string;
  disableActiveSpeakerDetection?: boolean;
  playbackType?: string;
}

/** A create that is allowed this long to finish when the node closes; after that it is aborted. */
const CREATE_GRACE_MS = 4_000;

/**
 * Create job: sends one create per message and emits the created job at once (msg.jobId set, so the flow can
 * store it), or with "wait for completion" the finished job on output 1 and failed / timed-out jobs on output 2.
 */
export = function register(RED: NodeAPI): void {
  function LipsyncCreate(this: RedNode, def: CreateDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = cachedTranslate(RED);
    const account = () => accountOf(RED, def.account);
    const creates = new Set<{ controller: AbortController; settled: Promise<unknown> }>();
    let closing = false;
    const settings = { ...waitSettings(def), deliver: resultDelivery(RED, node, def, account), journal: nodeRedJournal(RED) };
    const waits = new Waits(node, settings, account, t, () => RED.util.generateId(), (fn) => RED.events.once('flows:started', fn), () => {
      if (!creates.size) return [];
      const creating = creates.size > 1 ? t('lipsync.status.creatingMany', { count: creates.size }) : t('lipsync.status.creating');
      const held = rateLimited();
      return held ? [creating, held] : [creating];
    });

    /** "rate limited · next create in 40 s" while creates queue behind the account's create limiter (shared by every node on it). */
    function rateLimited(): string | undefined {
      let state;
      try {
        state = account().getClient().rateLimitState('create');
      } catch {
        return undefined; // no usable account: the create itself reports that
      }
      if (!state || state.queued === 0 || state.nextSlotInMs === 0) return undefined;
      if (state.nextSlotInMs === undefined) return t('lipsync.status.rateLimited');
      return t('lipsync.status.rateLimitedFor', { seconds: Math.max(1, Math.ceil(state.nextSlotInMs / 1000)) });
    }

    async function input(msg: NodeMessage, signal: AbortSignal): Promise<LipSyncJob> {
      const acct = account();
      const client = acct.getClient();
      // Each one a URL, or the file's bytes (a Buffer): the core uploads bytes through the provider or the account's storage.
      const video = await readMedia(RED, node, msg, 'video', 'Video', def.videoUrl, def.videoUrlType);
      const audio = await readMedia(RED, node, msg, 'audio', 'Audio', def.audioUrl, def.audioUrlType);
      const request: CreateInput = { ...mediaInput(msg, video, audio), ...(await providerOptions(acct.provider, msg)) };
      return client.createJob(request, { signal });
    }

    /** The options of the account's provider only, so switching an account's provider never sends stale ones. */
    async function providerOptions(provider: ProviderId, msg: NodeMessage): Promise<Record<string, unknown>> {
      const optional = async (value: string | undefined, type: string | undefined) => {
        if (!value && type !== 'str') return undefined;
        const v = await evaluate(RED, node, msg, value ?? '', type ?? 'str');
        return v === '' || v === null ? undefined : v;
      };
      switch (provider) {
        case 'akool':
          return { webhookUrl: await optional(def.webhookUrl, def.webhookUrlType) };
        case 'chamelaion':
          return {
            referenceId: await optional(def.referenceId, def.referenceIdType),
            disableActiveSpeakerDetection: def.disableActiveSpeakerDetection ? true : undefined,
          };
        case 'joggai':
          return { playbackType: def.playbackType || undefined };
        default:
          return {};
      }
    }

    function created(job: LipSyncJob, msg: NodeMessage, send: SendFn, done: DoneFn) {
      withJob(msg, job);
      if (def.wait) {
        // Also during a close: Waits keeps the id in the context store so the next instance resumes it.
        waits.start(job.id, msg, send, done);
        return;
      }
      if (closing) node.warn(t('lipsync.errors.createdWhileClosing', { id: job.id }));
      waits.rest({ fill: 'green', shape: 'dot', text: t('lipsync.status.created', { id: job.id }) });
      send(msg);
      done();
    }

    node.on('input', (msg, send, done) => {
      if (closing) return done();
      const controller = new AbortController();
      const entry = { controller, settled: Promise.resolve() as Promise<unknown> };
      creates.add(entry);
      waits.render();
      entry.settled = input(msg, controller.signal)
        .then(
          (job) => {
            creates.delete(entry);
            created(job, msg, send, done);
          },
          (error: unknown) => {
            creates.delete(entry);
            if (closing && controller.signal.aborted) {
              // Cut off by the close after the grace period: most likely still queued behind the rate limiter,
              // but a create that hung on the wire may have reached the provider, so the warning says so.
              node.warn(t('lipsync.errors.createDropped'));
              return done();
            }
            withError(msg, error);
            waits.rest(errorStatus(t, error, 'lipsync.status.createFailed'));
            done(asError(error));
          },
        )
        .catch((e: unknown) => node.error(e, msg));
    });

    node.on('close', (removed, done) => {
      closing = true;
      // A create already sent may have made a (billed) job: give it time to return its id instead of
      // cutting it off. Creates still queued behind the rate limiter are aborted after the grace period.
      const pending = Promise.all([...creates].map((c) => c.settled));
      let timer: NodeJS.Timeout | undefined;
      Promise.race([pending, new Promise((r) => (timer = setTimeout(r, CREATE_GRACE_MS)))])
        .then(() => {
          clearTimeout(timer);
          for (const c of creates) c.controller.abort(new Error(t('lipsync.errors.closed')));
          return Promise.all([...creates].map((c) => c.settled));
        })
        .then(() => waits.close(removed))
        .catch((e: unknown) => node.error(e))
        .then(() => done());
    });
  }

  RED.nodes.registerType('lipsync-create', LipsyncCreate);
};
