import type { Readable } from 'stream';
import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';
import {
	createLipSyncClient,
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
}

/** One client per credential value within an execution (items normally share one). */
export function clientFactory(ctx: IExecuteFunctions, provider: ProviderId): (itemIndex: number) => Promise<LipSyncClient> {
	const clients = new Map<string, LipSyncClient>();
	const credentialType = CREDENTIAL_TYPES[provider];
	return async (itemIndex) => {
		const credentials = (await ctx.getCredentials(credentialType, itemIndex)) as { apiKey?: string; baseUrl?: string };
		const apiKey = String(credentials.apiKey ?? '').trim();
		const baseUrl = String(credentials.baseUrl ?? '').trim() || undefined;
		const storage = await storageFor(ctx, itemIndex);
		const key = `${baseUrl ?? ''}\n${apiKey}\n${storage ? JSON.stringify(storage) : ''}`;
		let client = clients.get(key);
		if (!client) {
			// The transport needs the client's normalized base URL (the client validates key and URL first); it is
			// only called once the client makes a request, after both exist.
			client = createLipSyncClient({ provider, apiKey, baseUrl, storage, transport: (request) => transport(request), delay: n8nDelay, userAgent: 'n8n-nodes-lipsync' });
			const transport: Transport = createN8nTransport(ctx, { credentialType, baseUrl: client.baseUrl, apiKey });
			clients.set(key, client);
		}
		return client;
	};
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

/** An item for a job, with the finished video downloaded into a binary field when asked for. */
export async function jobItem(ctx: IExecuteFunctions, job: LipSyncJob, itemIndex: number, options: ItemOptions): Promise<INodeExecutionData> {
	const item: INodeExecutionData = { json: jobJson(job, options.includeRaw), pairedItem: { item: itemIndex } };
	if (options.download && job.status === 'completed' && job.resultUrl) {
		const field = String(options.binaryPropertyName ?? '').trim() || 'data';
		item.binary = { [field]: await downloadResult(ctx, job) };
	}
	return item;
}

async function downloadResult(ctx: IExecuteFunctions, job: LipSyncJob) {
	const url = job.resultUrl!;
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
	[ERROR_CODES.RATE_LIMITED]: 'The provider is limiting requests: run again later, or lower Options > Parallel Jobs.',
	[ERROR_CODES.NOT_FOUND]: 'Check the job ID and that it was created with the same provider account.',
	[ERROR_CODES.MEDIA_UNPROCESSABLE]: 'The provider could not use the media: check format, length and that the URLs are public.',
	[ERROR_CODES.TIMEOUT]: 'The job was not cancelled and may still finish: use Wait for Job or Get Job with its ID, or raise the timeout.',
	[ERROR_CODES.JOB_FAILED]: 'The provider could not render this job; check the media, then create a new job.',
	[ERROR_CODES.NETWORK_ERROR]: 'Check the base URL in the credential and that n8n can reach it (proxy settings apply).',
	[ERROR_CODES.PROVIDER_ERROR]: 'The provider had a problem; try again later.',
};

/** Turns any error into the n8n error to throw: NodeApiError for the provider's answers, NodeOperationError for bad input. */
export function toNodeError(ctx: IExecuteFunctions, error: unknown, itemIndex: number, extra?: string): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError || error instanceof NodeOperationError) return error;
	if (!LipSyncError.is(error)) {
		return new NodeOperationError(ctx.getNode(), error instanceof Error ? error : String(error), { itemIndex, description: extra });
	}
	const facts = [
		error.provider ? `Provider: ${providerName(error.provider)}` : undefined,
		error.httpStatus !== undefined ? `HTTP status: ${error.httpStatus}` : undefined,
		error.providerCode !== undefined && error.providerCode !== '' ? `Provider code: ${error.providerCode}` : undefined,
		error.jobId ? `Job ID: ${error.jobId}` : undefined,
		error.lastStatus ? `Last status: ${error.lastStatus}` : undefined,
		error.requestId ? `Request ID: ${error.requestId}` : undefined,
		`Error code: ${error.code}`,
	].filter(Boolean);
	const description = [facts.join(' · '), NEXT_STEP[error.code], extra].filter(Boolean).join('\n');
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

/** The json of an error item (continueOnFail, or a failed/timed-out job routed to the output). */
export function errorJson(error: unknown): IDataObject {
	if (LipSyncError.is(error)) return error.toJSON() as IDataObject;
	const e = error as { message?: string; description?: string };
	return { message: e?.message ?? String(error), ...(e?.description ? { description: e.description } : {}) };
}

/** True for the two outcomes "On Failure or Timeout: Output the Job" turns into items. */
export function isJobOutcome(error: unknown): error is LipSyncError {
	return LipSyncError.is(error) && (error.code === ERROR_CODES.JOB_FAILED || error.code === ERROR_CODES.TIMEOUT);
}

/** A job that failed or timed out, as an item the flow can route on `$json.error.code`. */
export function outcomeItem(error: LipSyncError, itemIndex: number, options: ItemOptions): INodeExecutionData {
	const job = error.job ? jobJson(error.job, options.includeRaw) : {};
	return { json: { ...job, id: error.jobId ?? job.id, status: error.lastStatus ?? job.status, error: errorJson(error) }, pairedItem: { item: itemIndex } };
}

/** Settles a promise into a value or an error, so callers branch without a catch block. */
export async function settle<T>(promise: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
	return await promise.then(
		(value) => ({ ok: true as const, value }),
		(error: unknown) => ({ ok: false as const, error }),
	);
}

/** The execution's custom data key that lists the jobs a run created (n8n allows 255 characters per value). */
export const JOB_IDS_KEY = 'lipSyncJobIds';

/**
 * Keeps the IDs of the jobs this run created in the execution's custom data as soon as each exists. A Stop
 * saves the execution at once, without the node's own result or error, so this is what keeps the IDs of
 * still-running (billed) jobs with a stopped execution: n8n's execution details and its API show it.
 */
export function recordCreatedJobs(ctx: IExecuteFunctions, created: ReadonlyMap<number, string>): void {
	const ids = [...created.values()];
	let text = ids.join(', ');
	for (let shown = ids.length - 1; text.length > 255 && shown > 0; shown--) text = `${ids.slice(0, shown).join(', ')} (+${ids.length - shown} more)`;
	try {
		ctx.getWorkflowDataProxy(0).$execution?.customData?.set(JOB_IDS_KEY, text.slice(0, 255));
	} catch {
		// custom data is an extra record (hosts without it, or past its key limit); the job IDs also go into outputs and errors
	}
}
