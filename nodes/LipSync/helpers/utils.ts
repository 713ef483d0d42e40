import type { Readable } from 'stream';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, IWebhookFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import {
	checkUrlSafety,
	createLipSyncClient,
	getAdapter,
	ERROR_CODES,
	LipSyncError,
	providerName,
	type CreateInput,
	type LipSyncClient,
	type LipSyncJob,
	type ProviderId,
	type S3StorageConfig,
	type Transport,
	type WaitOptions,
} from '../../../src';
import { CREDENTIAL_TYPES, STORAGE_CREDENTIAL_TYPE } from '../actions/common.descriptions';
import { createN8nTransport, n8nDelay } from '../transport';

export interface OperationContext {
	provider: ProviderId;
	/** The execution's cancel signal joined with the node's own stop (first fatal error of a batch). */
	signal: AbortSignal;
	client(itemIndex: number): Promise<LipSyncClient>;
	/** Remembers a job this execution created, so an error elsewhere in the batch can still name it. */
	created(itemIndex: number, jobId: string): void;
	/**
	 * Waits for this item's turn to read its input and send its create (a batch prepares a few items at a time, so
	 * its media is not all in memory at once); call the returned function once the job exists or the create failed.
	 */
	createTurn(): Promise<() => void>;
}

/** One client per credential value within an execution (items normally share one). */
export function clientFactory(ctx: IExecuteFunctions, provider: ProviderId): (itemIndex: number) => Promise<LipSyncClient> {
	const clients = new Map<string, LipSyncClient>();
	return async (itemIndex) => {
		const credentials = (await ctx.getCredentials(CREDENTIAL_TYPES[provider], itemIndex)) as AccountCredentials;
		const storage = await storageFor(ctx, itemIndex);
		const key = `${String(credentials.baseUrl ?? '').trim()}\n${String(credentials.apiKey ?? '').trim()}\n${storage ? JSON.stringify(storage) : ''}`;
		let client = clients.get(key);
		if (!client) clients.set(key, (client = accountClient(ctx, provider, credentials, storage)));
		return client;
	};
}

export interface AccountCredentials {
	apiKey?: string;
	baseUrl?: string;
}

/** A client for a provider credential, whose requests go through n8n's HTTP helper (executions and webhooks alike). */
export function accountClient(ctx: IExecuteFunctions | IWebhookFunctions, provider: ProviderId, credentials: AccountCredentials, storage?: S3StorageConfig): LipSyncClient {
	const apiKey = String(credentials.apiKey ?? '').trim();
	const baseUrl = String(credentials.baseUrl ?? '').trim() || undefined;
	// The transport needs the client's normalized base URL (the client validates key and URL first); it is only
	// called once the client makes a request, after both exist.
	const client = createLipSyncClient({ provider, apiKey, baseUrl, storage, transport: (request) => transport(request), delay: n8nDelay, userAgent: 'n8n-nodes-lipsync' });
	const transport: Transport = createN8nTransport(ctx, { credentialType: CREDENTIAL_TYPES[provider], baseUrl: client.baseUrl, apiKey });
	return client;
}

/** The S3-compatible storage credential as the core takes it, when the node is set to upload through it. */
async function storageFor(ctx: IExecuteFunctions, itemIndex: number): Promise<S3StorageConfig | undefined> {
	if (ctx.getNodeParameter('useStorage', itemIndex, false) !== true) return undefined;
	return storageConfigFrom(await ctx.getCredentials(STORAGE_CREDENTIAL_TYPE, itemIndex));
}

/** The storage credential's fields as the core's storage settings (the core validates each one). */
export function storageConfigFrom(c: Record<string, unknown>): S3StorageConfig {
	const text = (name: string) => String(c[name] ?? '').trim() || undefined;
	const hours = Number(c.urlExpiresInHours);
	return {
		endpoint: text('endpoint') ?? '',
		bucket: text('bucket') ?? '',
		region: text('region'),
		accessKeyId: text('accessKeyId') ?? '',
		secretAccessKey: String(c.secretAccessKey ?? ''),
		prefix: text('prefix'),
		virtualHostedStyle: c.virtualHostedStyle === true,
		urlExpiresInSeconds: Number.isFinite(hours) && hours > 0 ? Math.round(hours * 3600) : undefined,
	};
}

/** Reads a string parameter, trimmed; empty means "not set". */
function optionalString(ctx: IExecuteFunctions, name: string, itemIndex: number): string | undefined {
	const value = ctx.getNodeParameter(name, itemIndex, '') as unknown;
	if (value === undefined || value === null) return undefined;
	const text = String(value).trim();
	return text === '' ? undefined : text;
}

async function readMedia(ctx: IExecuteFunctions, role: 'video' | 'audio', itemIndex: number): Promise<Partial<CreateInput>> {
	const source = ctx.getNodeParameter(`${role}Source`, itemIndex, 'url') as string;
	if (source !== 'binary') return { [`${role}Url`]: optionalString(ctx, `${role}Url`, itemIndex) ?? '' };
	const field = optionalString(ctx, `${role}BinaryProperty`, itemIndex);
	const label = role === 'video' ? 'Video' : 'Audio';
	if (!field) {
		throw new NodeOperationError(ctx.getNode(), `${label} Input Binary Field is empty`, {
			itemIndex,
			description: `Enter the name of the input item's binary field that holds the ${role} file, e.g. "data"`,
		});
	}
	const binary = ctx.helpers.assertBinaryData(itemIndex, field);
	const data = await ctx.helpers.getBinaryDataBuffer(itemIndex, field);
	return { [role]: { data, filename: binary.fileName, contentType: binary.mimeType } };
}

/** The create input of one item: media plus the options of the selected provider only. */
export async function readCreateInput(ctx: IExecuteFunctions, provider: ProviderId, itemIndex: number): Promise<CreateInput> {
	const input: CreateInput = { ...(await readMedia(ctx, 'video', itemIndex)), ...(await readMedia(ctx, 'audio', itemIndex)) };
	if (provider === 'akool') input.webhookUrl = optionalString(ctx, 'webhookUrl', itemIndex);
	if (provider === 'chamelaion') {
		input.referenceId = optionalString(ctx, 'referenceId', itemIndex);
		if (ctx.getNodeParameter('disableActiveSpeakerDetection', itemIndex, false) === true) input.disableActiveSpeakerDetection = true;
	}
	if (provider === 'joggai') input.playbackType = optionalString(ctx, 'playbackType', itemIndex);
	return input;
}

export interface ItemOptions {
	includeRaw?: boolean;
	download?: boolean;
	binaryPropertyName?: string;
	allowPrivateNetworks?: boolean;
	saveToStorage?: boolean;
	resultBucket?: string;
	resultKey?: string;
	onFailure?: 'error' | 'output';
	pollIntervalSeconds?: number;
	parallel?: number;
}

export function readOptions(ctx: IExecuteFunctions, itemIndex: number): ItemOptions {
	return ctx.getNodeParameter('options', itemIndex, {}) as ItemOptions;
}

export function waitOptions(ctx: IExecuteFunctions, op: OperationContext, itemIndex: number, jobLabel: () => string): WaitOptions {
	const options = readOptions(ctx, itemIndex);
	const minutes = Number(ctx.getNodeParameter('timeoutMinutes', itemIndex, 30));
	if (!Number.isFinite(minutes) || minutes <= 0) {
		throw new NodeOperationError(ctx.getNode(), 'Timeout (Minutes) must be a number above 0', { itemIndex, description: 'Set it to how long a job may take, e.g. 30' });
	}
	const poll = Number(options.pollIntervalSeconds ?? 0);
	return {
		timeoutMs: Math.round(minutes * 60_000),
		pollIntervalMs: poll > 0 ? Math.round(poll * 1000) : undefined,
		signal: op.signal,
		throwOnFailure: true,
		onProgress: (job, info) =>
			ctx.logger.debug(`Lip Sync: ${jobLabel()} is ${job.status}${job.progress === undefined ? '' : ` (${job.progress}%)`} after ${Math.round(info.elapsedMs / 1000)} s`, {
				provider: job.provider,
				jobId: job.id,
			}),
	};
}

/** The job as an item's json: every normalized field, the provider's body only when asked for. */
export function jobJson(job: LipSyncJob, includeRaw = false): IDataObject {
	const { raw, ...fields } = job;
	const out: IDataObject = {};
	for (const [key, value] of Object.entries(fields)) if (value !== undefined) out[key] = value as IDataObject[string];
	if (includeRaw && raw !== undefined) out.raw = raw as IDataObject;
	return out;
}

/**
 * An item for a job, with the finished video downloaded into a binary field and/or streamed into the storage
 * credential's bucket (`json.stored`) when asked for.
 */
export async function jobItem(
	ctx: IExecuteFunctions,
	job: LipSyncJob,
	itemIndex: number,
	options: ItemOptions,
	store?: { client: LipSyncClient; signal: AbortSignal },
): Promise<INodeExecutionData> {
	const item: INodeExecutionData = { json: jobJson(job, options.includeRaw), pairedItem: { item: itemIndex } };
	if (options.saveToStorage && store && job.status === 'completed') item.json.stored = await storeJobResult(ctx, job, itemIndex, options, store);
	if (options.download && job.status === 'completed' && job.resultUrl) {
		const field = String(options.binaryPropertyName ?? '').trim() || 'data';
		item.binary = { [field]: await downloadResult(ctx, job, itemIndex, options) };
	}
	return item;
}

async function storeJobResult(ctx: IExecuteFunctions, job: LipSyncJob, itemIndex: number, options: ItemOptions, store: { client: LipSyncClient; signal: AbortSignal }): Promise<IDataObject> {
	if (ctx.getNodeParameter('useStorage', itemIndex, false) !== true) {
		throw new NodeOperationError(ctx.getNode(), 'Save Result to S3-Compatible Storage needs a storage credential', {
			itemIndex,
			description: `Switch on "Use S3-Compatible Storage" and pick a Lip Sync Media Storage (S3-Compatible) credential. Job ID: ${job.id}; the video is still at its result URL.`,
		});
	}
	const stored = await store.client.storeResult(job, { bucket: options.resultBucket, keyTemplate: options.resultKey, signal: store.signal });
	return { ...stored };
}

async function downloadResult(ctx: IExecuteFunctions, job: LipSyncJob, itemIndex: number, options: ItemOptions) {
	const url = job.resultUrl!;
	// The result URL comes from the provider: a non-public address is refused unless it is the credential's own
	// host or private networks are allowed. Redirects are followed by n8n's helper, under the instance's SSRF settings.
	const credentials = (await ctx.getCredentials(CREDENTIAL_TYPES[job.provider], itemIndex)) as { baseUrl?: string };
	const baseUrl = String(credentials.baseUrl ?? '').trim() || getAdapter(job.provider).defaultBaseUrl;
	await checkUrlSafety(url, { allowPrivateNetworks: options.allowPrivateNetworks === true, trustedOrigins: [baseUrl] }, job.id);
	const response = (await ctx.helpers
		.httpRequest({ url, method: 'GET', encoding: 'stream', returnFullResponse: true, abortSignal: ctx.getExecutionCancelSignal?.() })
		.then(
			(value: unknown) => value,
			(error: Error) =>
				Promise.reject(
					new LipSyncError(ERROR_CODES.PROVIDER_ERROR, `The job finished but downloading its video failed: ${error.message}. The video is still at ${url}`, {
						provider: job.provider,
						jobId: job.id,
						retryable: true,
					}),
				),
		)) as { body: Readable; headers: Record<string, string | undefined> };
	const type = String(response.headers['content-type'] ?? '').split(';')[0]!.trim();
	const mimeType = type && type !== 'application/octet-stream' ? type : 'video/mp4';
	const extension = mimeType === 'video/webm' ? 'webm' : mimeType === 'video/quicktime' ? 'mov' : 'mp4';
	return await ctx.helpers.prepareBinaryData(response.body, `lipsync-${job.id}.${extension}`, mimeType);
}

/** What the user should do next, by error code (provider-neutral). */
const NEXT_STEP: Partial<Record<string, string>> = {
	[ERROR_CODES.AUTH_FAILED]: 'Check the API key (and base URL) in the credential selected on this node.',
	[ERROR_CODES.INSUFFICIENT_CREDITS]: "Top up the provider account's credits or plan, then run again.",
	[ERROR_CODES.RATE_LIMITED]: 'The provider is limiting requests: run again later, or set Options > Parallel Jobs to the number of jobs your plan renders at once.',
	[ERROR_CODES.NOT_FOUND]: 'Check the job ID and that it was created with the same provider account.',
	[ERROR_CODES.MEDIA_UNPROCESSABLE]: 'The provider could not use the media: check format, length and that the URLs are public.',
	[ERROR_CODES.TIMEOUT]: 'The job was not cancelled and may still finish: use Wait for Job or Get Job with its ID, or raise the timeout.',
	[ERROR_CODES.JOB_FAILED]: 'The provider could not render this job; check the media, then create a new job.',
	[ERROR_CODES.NETWORK_ERROR]: 'Check the base URL in the credential and that n8n can reach it (proxy settings apply).',
	[ERROR_CODES.PROVIDER_ERROR]: 'The provider had a problem; try again later.',
};

const STORAGE_NEXT_STEP =
	'Check the Lip Sync Media Storage (S3-Compatible) credential: endpoint, bucket, region and keys (its Test button checks them), and that n8n can reach the endpoint.';

/** The description n8n shows under an error's message: the facts (provider, HTTP status, codes, job id) and the next step. */
export function errorDescription(error: LipSyncError, extra?: string): string {
	const facts = [
		error.provider ? `Provider: ${providerName(error.provider)}` : undefined,
		error.httpStatus !== undefined ? `HTTP status: ${error.httpStatus}` : undefined,
		error.providerCode !== undefined && error.providerCode !== '' ? `Provider code: ${error.providerCode}` : undefined,
		error.jobId ? `Job ID: ${error.jobId}` : undefined,
		error.lastStatus ? `Last status: ${error.lastStatus}` : undefined,
		error.requestId ? `Request ID: ${error.requestId}` : undefined,
		`Error code: ${error.code}`,
	].filter(Boolean);
	// The core prefixes every failure of the S3-compatible storage with "S3 storage:": the fix is in that credential.
	const next = /S3 storage:/.test(error.reason) ? STORAGE_NEXT_STEP : NEXT_STEP[error.code];
	return [facts.join(' · '), next, extra].filter(Boolean).join('\n');
}

/** Turns any error into the n8n error to throw: NodeApiError for the provider's answers, NodeOperationError for bad input. */
export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number, extra?: string): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (!LipSyncError.is(error)) {
		return new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error), { itemIndex, description: extra });
	}
	const description = errorDescription(error, extra);
	if (error.code === ERROR_CODES.INVALID_INPUT || error.code === ERROR_CODES.NOT_SUPPORTED || error.code === ERROR_CODES.ABORTED) {
		return new NodeOperationError(ctx.getNode(), error.message, { itemIndex, description });
	}
	const { code, ...rest } = error.toJSON();
	const apiError = new NodeApiError(ctx.getNode(), { ...rest, lipSyncCode: code } as JsonObject, {
		message: error.message,
		description,
		httpCode: error.httpStatus === undefined ? undefined : String(error.httpStatus),
		itemIndex,
	});
	// NodeApiError swaps messages that mention a socket error code for a generic sentence; keep the provider's.
	apiError.message = error.message;
	return apiError;
}

/**
 * `json.error` of an error item: an object with `message` (as n8n's HTTP Request node puts there with Continue On
 * Fail) and `description` (what n8n shows under it), then this package's facts: `code`, `provider`, `httpStatus`,
 * `providerCode`, `jobId`, ... where known.
 */
export function errorJson(error: unknown, jobId?: string): IDataObject {
	if (LipSyncError.is(error)) {
		const withId = jobId && !error.jobId ? error.withJobId(jobId) : error;
		const { message, code, ...facts } = withId.toJSON();
		return { message, description: errorDescription(withId), code, ...facts } as IDataObject;
	}
	const e = error as { message?: string; description?: string | null };
	return { message: e?.message ?? String(error), ...(e?.description ? { description: e.description } : {}), ...(jobId ? { jobId } : {}) };
}

/**
 * The one shape of an item for a failure, used by Continue On Fail, "On Failure or Timeout: Output the Job" and the
 * Akool callback wait: the job's fields (when the error carries the job), `id` (when a job exists), `provider` and
 * `status` at the top level, and the error in `json.error` (see errorJson).
 */
export function errorItem(error: unknown, itemIndex: number, context: { provider: ProviderId; jobId?: string; includeRaw?: boolean }): INodeExecutionData {
	const lip = LipSyncError.is(error) ? error : undefined;
	const job = lip?.job ? jobJson(lip.job, context.includeRaw) : {};
	const id = lip?.jobId ?? (job.id as string | undefined) ?? context.jobId;
	const status = lip?.lastStatus ?? (job.status as string | undefined);
	const provider = lip?.provider ?? (job.provider as string | undefined) ?? context.provider;
	// id, provider and status first (as in a job item), then the job's other fields, then the error.
	const json: IDataObject = { ...(id ? { id } : {}), provider, ...(status ? { status } : {}) };
	for (const [key, value] of Object.entries(job)) if (!(key in json) && key !== 'id' && key !== 'status') json[key] = value;
	json.error = errorJson(error, id);
	return { json, pairedItem: { item: itemIndex } };
}

/** True for the two outcomes "On Failure or Timeout: Output the Job" turns into items. */
export function isJobOutcome(error: unknown): error is LipSyncError {
	return LipSyncError.is(error) && (error.code === ERROR_CODES.JOB_FAILED || error.code === ERROR_CODES.TIMEOUT);
}

/** A job that failed or timed out, as an item the flow can route on `$json.error.code`. */
export function outcomeItem(error: LipSyncError, itemIndex: number, options: ItemOptions, provider: ProviderId): INodeExecutionData {
	return errorItem(error, itemIndex, { provider, includeRaw: options.includeRaw });
}

/** Settles a promise into a value or an error, so callers branch without a catch block. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
	return await promise.then(
		(value) => ({ ok: true as const, value }),
		(error: unknown) => ({ ok: false as const, error }),
	);
}
