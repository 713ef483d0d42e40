import type { IncomingMessage, ServerResponse } from 'node:http';
import { CALLBACK_BODY_LIMIT, CALLBACK_REFUSED, ERROR_CODES, LipSyncError, akoolCallbackKey, verifyAkoolCallback, type LipSyncJob } from '../index';
import { accountOf } from './lib/messages';
import type { AccountNode, NodeAPI, NodeDef, RedNode } from './lib/red-types';
import { cachedTranslate } from './lib/i18n';

interface CallbackDef extends NodeDef {
  account: string;
  url: string;
  /** Callbacks whose timestamp is further than this from now are refused (seconds; default 900). */
  maxAge?: string | number;
}

/** The express parts used here (Node-RED 4 and 5 both run express 4 for RED.httpNode). */
interface HttpRequest extends IncomingMessage {
  body?: unknown;
  ip?: string;
}
type Handler = (req: HttpRequest, res: ServerResponse) => void;
interface Layer {
  route?: { path: string; methods: Record<string, boolean>; stack: { handle: unknown }[] };
}
interface HttpNodeApp {
  post(path: string, handler: Handler): void;
  _router?: { stack: Layer[] };
  router?: { stack: Layer[] };
}

const DEFAULT_MAX_AGE_S = 15 * 60;

class TooLarge extends Error {}

/** The body as JSON: already parsed by middleware (httpNodeMiddleware), or read from the stream here (capped). */
async function readJson(req: HttpRequest): Promise<unknown> {
  if (req.body !== undefined) {
    if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) {
      if (req.body.length > CALLBACK_BODY_LIMIT) throw new TooLarge();
      return JSON.parse(req.body.toString());
    }
    if (JSON.stringify(req.body ?? null).length > CALLBACK_BODY_LIMIT) throw new TooLarge();
    return req.body;
  }
  if (Number(req.headers['content-length']) > CALLBACK_BODY_LIMIT) throw new TooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > CALLBACK_BODY_LIMIT) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

function answer(res: ServerResponse, status: number, body: Record<string, unknown>): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

/**
 * Callback in: an endpoint on Node-RED's HTTP server (like `http in`) for Akool's webhook. Verifies the signature
 * (constant time), refuses stale timestamps and replays, decrypts with the account's client id and API key,
 * answers 200 at once and emits the normalized job; the waits on the same account (mode "Akool callbacks") end
 * with it. Anything forged gets a 4xx, a warning that names no secret, and emits nothing.
 */
export = function register(RED: NodeAPI): void {
  const httpNode = (RED as unknown as { httpNode?: HttpNodeApp }).httpNode;

  function LipsyncCallback(this: RedNode, def: CallbackDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = cachedTranslate(RED);
    const url = `/${(def.url ?? '').trim().replace(/^\/+/, '')}`;
    const maxAge = Number(def.maxAge);
    const maxAgeMs = (Number.isFinite(maxAge) && maxAge > 0 ? maxAge : DEFAULT_MAX_AGE_S) * 1000;
    let received = 0;
    let refused = 0;

    if (!httpNode) {
      node.warn(t('lipsync.errors.noHttp'));
      return;
    }
    if (url === '/') {
      node.error(t('lipsync.errors.noUrl'));
      node.status({ fill: 'red', shape: 'ring', text: t('lipsync.status.noUrl') });
      return;
    }

    let account: AccountNode | undefined;
    try {
      account = accountOf(RED, def.account);
      if (account.callbacks) account.callbacks.receivers++;
    } catch (e) {
      node.error((e as Error).message);
    }

    // Every failed check gets the same answer (no oracle: padding, JSON, signature, age and replay look alike);
    // the reason goes only to the local log, and never holds a secret or the ciphertext.
    const refuse = (res: ServerResponse, reason: string, from?: string, status: number = CALLBACK_REFUSED.status) => {
      refused++;
      if (status === 413) {
        res.setHeader('connection', 'close');
        answer(res, 413, { error: 'body too large' });
      } else answer(res, CALLBACK_REFUSED.status, CALLBACK_REFUSED.body);
      node.warn(t('lipsync.errors.refused', { reason, from: from ?? '?' }));
      node.status({ fill: 'yellow', shape: 'ring', text: t('lipsync.status.refused', { received, refused }) });
    };

    const handler: Handler = (req, res) => {
      void (async () => {
        const acct = account;
        if (!acct || !acct.callbacks || !acct.callbackSecrets) return answer(res, 503, { error: 'no lip-sync account is selected on this node' });
        if (acct.provider !== 'akool') return refuse(res, `the account is a ${acct.provider} account; only Akool sends callbacks`, req.ip);
        let body: unknown;
        try {
          body = await readJson(req);
        } catch (e) {
          if (e instanceof TooLarge) {
            req.resume();
            return refuse(res, `the body is over ${CALLBACK_BODY_LIMIT} bytes`, req.ip, 413);
          }
          return refuse(res, 'the body is not JSON', req.ip);
        }
        let job: LipSyncJob;
        try {
          job = verifyAkoolCallback(body, acct.callbackSecrets(), { maxAgeMs });
        } catch (e) {
          if (LipSyncError.is(e) && e.code === ERROR_CODES.AUTH_FAILED) return refuse(res, e.message, req.ip);
          // Our side is not set up (no client id, an API key that is no AES key): Akool retries later.
          answer(res, 500, { error: 'the receiver is not configured to verify callbacks' });
          node.error(t('lipsync.errors.config', { error: (e as Error).message }));
          node.status({ fill: 'red', shape: 'dot', text: t('lipsync.status.config') });
          return;
        }
        if (!acct.callbacks.guard.accept(akoolCallbackKey(body))) return refuse(res, 'Akool callback refused: this callback was already used (replayed)', req.ip);
        answer(res, 200, { ok: true });
        // The same news re-signed (Akool retries when it missed our 200) is acknowledged but not emitted twice.
        if (!acct.callbacks.publish(job)) return;
        received++;
        node.status({ fill: 'green', shape: 'dot', text: t('lipsync.status.received', { id: job.id, status: t(`lipsync.status.${job.status}`), received }) });
        const b = body as { timestamp?: unknown; nonce?: unknown };
        node.send({ payload: job, jobId: job.id, topic: job.status, callback: { provider: 'akool', timestamp: b.timestamp, nonce: b.nonce, path: url } });
      })().catch((e: unknown) => {
        answer(res, 500, { error: 'internal error' });
        // A message, never a stack trace or a body: nothing of the request reaches the log.
        node.error(t('lipsync.errors.config', { error: e instanceof Error ? e.message : String(e) }));
      });
    };

    httpNode.post(url, handler);
    node.status({ fill: 'grey', shape: 'ring', text: t('lipsync.status.listening', { url }) });

    node.on('close', (_removed, done) => {
      const stack = (httpNode._router ?? httpNode.router)?.stack ?? [];
      for (let i = stack.length - 1; i >= 0; i--) {
        const route = stack[i]!.route;
        if (route && route.path === url && route.methods.post && route.stack.some((l) => l.handle === handler)) stack.splice(i, 1);
      }
      if (account?.callbacks) account.callbacks.receivers--;
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('lipsync-callback', LipsyncCallback);
};
