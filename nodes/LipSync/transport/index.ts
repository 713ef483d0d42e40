import type { IExecuteFunctions, IHttpRequestMethods, IHttpRequestOptions, IWebhookFunctions } from 'n8n-workflow';
import { sleep, sleepWithAbort } from 'n8n-workflow';
import {
	classifyNetworkError,
	ERROR_CODES,
	LipSyncError,
	TransportFailure,
	type Delay,
	type Transport,
	type TransportRequest,
	type TransportResponse,
} from '../../../src/core';

/**
 * The provider core's HTTP goes through n8n's request helpers, so the instance's proxy settings, SSRF
 * protection and credential handling apply:
 * - requests to the provider API (URLs under the credential's base URL) are sent with
 *   `httpRequestWithAuthentication`: n8n adds the key from the credential's `authenticate` block, and the
 *   headers in which the core put the key are dropped first, so the credential is the one source of auth;
 * - anything else (a presigned upload URL) goes out with `httpRequest` and no credential at all, so the key
 *   never reaches a third-party host.
 * HTTP statuses never throw here (the core maps them); failures below HTTP become the core's TransportFailure,
 * with `maybeSent` false only when the socket error says the connection was never made (see toTransportFailure).
 */
export function createN8nTransport(ctx: IExecuteFunctions | IWebhookFunctions, options: { credentialType: string; baseUrl: string; apiKey: string }): Transport {
	const apiRoot = normalizedRoot(options.baseUrl);
	// Some n8n versions replace a request's abortSignal with the execution's cancel signal whenever the helper's
	// `this` has getExecutionCancelSignal. A Stop would then cut off a create on the wire and lose the id of the job
	// it made. The core's own signal already follows that cancel signal (with a grace for creates), so the helper
	// is called on a view of the context without that method; everything else passes through (methods bound to the
	// real context, so they work whatever n8n keeps in private fields).
	const authCtx = new Proxy(ctx, {
		has: (target, key) => key !== 'getExecutionCancelSignal' && Reflect.has(target, key),
		get: (target, key) => {
			const value: unknown = Reflect.get(target, key, target);
			return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
		},
	});
	return async (request: TransportRequest): Promise<TransportResponse> => {
		const toApi = request.url === apiRoot || request.url.startsWith(`${apiRoot}/`) || request.url.startsWith(`${apiRoot}?`);
		const headers: Record<string, string> = {};
		for (const [name, value] of Object.entries(request.headers)) if (!carriesKey(value, options.apiKey)) headers[name] = value;
		const httpOptions: IHttpRequestOptions = {
			url: request.url,
			method: request.method as IHttpRequestMethods,
			headers,
			body: toBody(request.body),
			encoding: 'arraybuffer',
			returnFullResponse: true,
			ignoreHttpStatusErrors: true,
			timeout: request.connectTimeoutMs + request.readTimeoutMs,
			abortSignal: request.signal,
		};
		// A lint rule wants only NodeApiError thrown inside `catch` blocks; the core's transport contract wants a
		// TransportFailure, which the node turns into a NodeApiError once the core has added provider context.
		const pending = toApi
			? ctx.helpers.httpRequestWithAuthentication.call(authCtx, options.credentialType, httpOptions)
			: ctx.helpers.httpRequest(httpOptions);
		const response = (await pending.then(
			(value: unknown) => value,
			(error: unknown) => Promise.reject(toTransportFailure(error, request.signal)),
		)) as { body: unknown; headers: Record<string, unknown>; statusCode: number };
		const flat = flattenHeaders(response.headers);
		if (!request.binary) return { status: response.statusCode, headers: flat, body: bodyText(response.body) };
		// Audio: the bytes as they came (n8n's helper was asked for an arraybuffer), text only for JSON or text.
		const bytes = bodyBytes(response.body);
		if (bytes.length > (request.maxResponseBytes ?? 64 * 1024 * 1024)) throw new TransportFailure(`the answer is larger than ${request.maxResponseBytes ?? 64 * 1024 * 1024} bytes`, 'other', true);
		return { status: response.statusCode, headers: flat, body: /json|^\s*text\//i.test(flat['content-type'] ?? '') ? bytes.toString('utf8') : '', bytes };
	};
}

/** A header the core filled with the key ("<key>" or "<scheme> <key>"); n8n's credential sets its own. */
function carriesKey(value: string, apiKey: string): boolean {
	return apiKey !== '' && (value === apiKey || value.endsWith(` ${apiKey}`));
}

/** The base URL as the core's URL building writes it (lower-case host, no default port), without a trailing slash. */
function normalizedRoot(baseUrl: string): string {
	let href = baseUrl;
	try {
		href = new URL(baseUrl).href;
	} catch {
		// Not a URL at all: the client refuses it before any request, so the raw text is never compared.
	}
	return href.replace(/\/+$/, '');
}

function toBody(body: TransportRequest['body']): IHttpRequestOptions['body'] {
	if (body === undefined || typeof body === 'string') return body;
	if (body instanceof Uint8Array) return Buffer.from(body.buffer, body.byteOffset, body.byteLength);
	// Multipart: a standard FormData, which n8n's axios-based helper streams with its own boundary.
	const form = new FormData();
	for (const part of body.multipart) {
		if (typeof part.value === 'string' && part.filename === undefined) form.append(part.name, part.value);
		else {
			const bytes = typeof part.value === 'string' ? Buffer.from(part.value) : part.value;
			form.append(part.name, new Blob([bytes], { type: part.contentType ?? 'application/octet-stream' }), part.filename ?? part.name);
		}
	}
	return form as unknown as IHttpRequestOptions['body'];
}

function bodyBytes(body: unknown): Buffer {
	if (body === undefined || body === null) return Buffer.alloc(0);
	if (Buffer.isBuffer(body)) return body;
	if (body instanceof ArrayBuffer) return Buffer.from(body);
	return Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
}

function bodyText(body: unknown): string {
	if (body === undefined || body === null) return '';
	if (typeof body === 'string') return body;
	if (Buffer.isBuffer(body)) return body.toString('utf8');
	if (body instanceof ArrayBuffer) return Buffer.from(body).toString('utf8');
	return JSON.stringify(body);
}

function flattenHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
	const out: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers ?? {})) {
		if (value === undefined || value === null) continue;
		out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value);
	}
	return out;
}

interface ErrorLike {
	isAxiosError?: boolean;
	name?: string;
	code?: string;
	message?: string;
	/** NodeApiError: the original message(s) it replaced with a generic sentence. */
	messages?: unknown[];
	cause?: unknown;
	errorResponse?: unknown;
}

const CODE = /\b(E[A-Z][A-Z_]{2,}|ERR_[A-Z_]+|UND_ERR_[A-Z_]+)\b/;
const AXIOS_TIMEOUT = /timeout of \d+ms exceeded/i;

/**
 * What went wrong below HTTP, as the core's TransportFailure. A plain `httpRequest` throws axios' error itself;
 * `httpRequestWithAuthentication` wraps it in a NodeApiError that (in n8n 2.x) drops the axios error and keeps
 * only its message in `messages`, where the socket error code (ECONNREFUSED, ENOTFOUND, ...) still appears.
 * Anything that cannot be read counts as "may have been sent", so a create is never repeated on a guess.
 */
export function toTransportFailure(error: unknown, signal?: AbortSignal): TransportFailure {
	const outer = (error ?? {}) as ErrorLike;
	const axios = [outer, outer.cause, outer.errorResponse].find(isAxiosError) as ErrorLike | undefined;
	const texts = [axios?.message, ...(Array.isArray(outer.messages) ? outer.messages : []), outer.message].filter((t): t is string => typeof t === 'string' && t !== '');
	const code = axios?.code ?? texts.map((t) => CODE.exec(t)?.[1]).find(Boolean);
	const message = texts[0] ?? String(error);
	if (signal?.aborted || code === 'ERR_CANCELED' || axios?.name === 'CanceledError') {
		return new TransportFailure('request aborted', 'aborted', true, { cause: error });
	}
	if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || texts.some((t) => AXIOS_TIMEOUT.test(t))) {
		return new TransportFailure(message, 'timeout', true, { cause: error });
	}
	if (code) return classifyNetworkError({ code, message, cause: error });
	return new TransportFailure(message, 'other', true, { cause: error });
}

function isAxiosError(value: unknown): boolean {
	if (typeof value !== 'object' || value === null) return false;
	const v = value as ErrorLike;
	return v.isAxiosError === true || v.name === 'AxiosError' || v.name === 'CanceledError';
}

/**
 * The core's delay, built on n8n's own abortable sleep so waiting stops the moment the execution is cancelled.
 * Each sleep listens on a child signal, so hundreds of polls do not pile listeners onto the execution's signal.
 */
export const n8nDelay: Delay = async (ms, signal) => {
	if (!signal) return await sleep(ms);
	if (signal.aborted) throw cancelledError();
	const child = new AbortController();
	const relay = () => child.abort();
	signal.addEventListener('abort', relay, { once: true });
	const pending = typeof sleepWithAbort === 'function' ? sleepWithAbort(ms, child.signal) : Promise.race([sleep(ms), aborted(child.signal)]);
	await pending
		.then(
			() => undefined,
			() => Promise.reject(cancelledError()),
		)
		.finally(() => signal.removeEventListener('abort', relay));
};

function aborted(signal: AbortSignal): Promise<never> {
	return new Promise((_resolve, reject) => signal.addEventListener('abort', () => reject(cancelledError()), { once: true }));
}

function cancelledError(): LipSyncError {
	return new LipSyncError(ERROR_CODES.ABORTED, 'Waiting was cancelled because the workflow execution was stopped');
}
