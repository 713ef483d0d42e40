import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { CALLBACK_BODY_LIMIT, CALLBACK_REFUSED, ERROR_CODES, LipSyncError, ReplayGuard, akoolCallbackKey, verifyAkoolCallback, type AkoolCallbackSecrets, type LipSyncJob } from '../../../src';

/**
 * Akool webhook callbacks in n8n (the trigger node, and the Lip Sync node's "wait for callback" resume): verify the
 * signature (constant time), refuse stale timestamps and replays, decrypt with the Akool credential's API key
 * (Akool's client secret) and client ID. Anything refused gets a 4xx answer here, a warning that names no secret,
 * and no workflow data.
 */

export const AKOOL_CREDENTIAL = 'lipSyncKitAkoolApi';
export const DEFAULT_MAX_AGE_SECONDS = 15 * 60;

/** Accepted signatures, per process (a webhook process in queue mode keeps its own; the timestamp window bounds the rest). */
const guards = new Map<string, ReplayGuard>();
function guardFor(key: string): ReplayGuard {
	let guard = guards.get(key);
	if (!guard) guards.set(key, (guard = new ReplayGuard()));
	return guard;
}

export async function callbackSecrets(ctx: IWebhookFunctions): Promise<AkoolCallbackSecrets> {
	const credentials = (await ctx.getCredentials(AKOOL_CREDENTIAL)) as { apiKey?: string; clientId?: string };
	return { clientId: String(credentials.clientId ?? '').trim(), clientSecret: String(credentials.apiKey ?? '').trim() };
}

export type CallbackOutcome = { job: LipSyncJob; body: { timestamp?: unknown; nonce?: unknown } } | { refused: IWebhookResponseData };

function answer(ctx: IWebhookFunctions, status: number, body: Record<string, unknown>): IWebhookResponseData {
	const res = ctx.getResponseObject();
	res.status(status).json(body);
	return { noWebhookResponse: true };
}

/** Verifies one request; on refusal the HTTP answer is already sent. */
export async function receiveAkoolCallback(ctx: IWebhookFunctions, maxAgeSeconds = DEFAULT_MAX_AGE_SECONDS): Promise<CallbackOutcome> {
	const body = ctx.getBodyData() as Record<string, unknown>;
	const node = ctx.getNode();
	// Every failed check gets the same answer (no oracle: padding, JSON, signature, age and replay look alike);
	// the reason goes only to the local log line, and the verifier's reasons never hold a key, client ID or ciphertext.
	const refuse = (reason: string, status: number = CALLBACK_REFUSED.status): CallbackOutcome => {
		ctx.logger.warn(`${node.name}: Akool callback refused (HTTP ${status}): ${reason}. Nothing was started or resumed.`, { node: node.name });
		return { refused: answer(ctx, status, status === 413 ? { error: 'body too large' } : CALLBACK_REFUSED.body) };
	};
	const declared = Number(ctx.getHeaderData()['content-length']);
	if ((Number.isFinite(declared) && declared > CALLBACK_BODY_LIMIT) || JSON.stringify(body ?? null).length > CALLBACK_BODY_LIMIT) {
		return refuse(`the body is over ${CALLBACK_BODY_LIMIT} bytes`, 413);
	}
	let job: LipSyncJob;
	try {
		const age = Number(maxAgeSeconds);
		job = verifyAkoolCallback(body, await callbackSecrets(ctx), { maxAgeMs: (Number.isFinite(age) && age > 0 ? age : DEFAULT_MAX_AGE_SECONDS) * 1000 });
	} catch (e) {
		if (LipSyncError.is(e) && e.code === ERROR_CODES.AUTH_FAILED) return refuse(e.message);
		// Our own settings are incomplete (no client ID, a key that is no AES key): 500, so Akool tries again later.
		ctx.logger.error(`${node.name}: an Akool callback could not be verified: ${(e as Error).message}`, { node: node.name });
		return { refused: answer(ctx, 500, { error: 'the receiver is not set up to verify Akool callbacks' }) };
	}
	if (!guardFor(`${ctx.getWorkflow().id ?? ''}:${node.id}`).accept(akoolCallbackKey(body))) {
		return refuse('Akool callback refused: this callback was already used (replayed)');
	}
	return { job, body: { timestamp: body.timestamp, nonce: body.nonce } };
}
