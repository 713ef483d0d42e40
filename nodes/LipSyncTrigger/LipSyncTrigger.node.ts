import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription, IPollFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { providerName, type LipSyncJob, type ProviderId } from '../../src';
import { optionsCollection } from '../LipSync/actions/common.descriptions';
import { clientFactory, jobItem, toNodeError, type ItemOptions } from '../LipSync/helpers/utils';

/** The providers whose jobs can be listed (JoggAI has only a lookup for one video + audio pair; Akool has no list). */
const TRIGGER_PROVIDERS: ProviderId[] = ['chamelaion', 'fishaudio-open', 'fishaudio-v1'];
const PAGE_SIZE = 50;
/** One poll reads at most this many pages (500 jobs), newest first. */
const MAX_PAGES = 10;
/** Finished job ids remembered across polls (newest first); far more than one poll can read. */
const MAX_SEEN = 2_000;

/** What the trigger keeps in the workflow's static data (saved by n8n with the workflow, so it survives restarts). */
interface PollState extends IDataObject {
	/** Ids of finished jobs already seen (emitted, or finished before the trigger started), newest first. */
	seen: string[];
	/** Ids of jobs still queued or processing at the last poll: the next poll reads on until it has found them. */
	pending?: string[];
}

type TriggerOn = 'completed' | 'failed' | 'finished';

/**
 * Trigger nodes that have read the whole recent list (MAX_PAGES) in this process. n8n saves the static data when a
 * poll emits, not after a poll that emits nothing, so after a restart the saved pending list may be stale: the
 * first poll in a process therefore reads every page instead of stopping at the first page it has seen.
 */
const scannedInProcess = new Set<string>();

const isFinished = (job: LipSyncJob) => job.status === 'completed' || job.status === 'failed';

/**
 * Polls a provider's job list and starts the workflow once for each job that finished since the last poll: the
 * n8n-native way to collect a batch created elsewhere, without an execution holding a worker while jobs render.
 */
export class LipSyncTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Lip Sync Trigger',
		name: 'lipSyncTrigger',
		icon: { light: 'file:../../icons/lipsync.svg', dark: 'file:../../icons/lipsync.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ $parameter["provider"] + " · " + $parameter["triggerOn"] }}',
		description: 'Starts the workflow once for each lip-sync job of the account that has finished (Chamelaion, Fish Audio)',
		defaults: { name: 'Lip Sync Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		// Written out so n8n's lint can read them: each provider's credential shows for its provider.
		credentials: [
			{ name: 'lipSyncKitChamelaionApi', required: true, displayOptions: { show: { provider: ['chamelaion'] } } },
			{ name: 'lipSyncKitFishAudioOpenApi', required: true, displayOptions: { show: { provider: ['fishaudio-open'] } } },
			{ name: 'lipSyncKitFishAudioV1Api', required: true, displayOptions: { show: { provider: ['fishaudio-v1'] } } },
		],
		properties: [
			{
				displayName:
					'Emits each job that finished since the last poll, once. Jobs that had already finished when the workflow was published are not emitted. JoggAI and Akool have no job list: for Akool use the Lip Sync Akool Trigger; for JoggAI keep the job IDs and use Wait for Job.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Provider',
				name: 'provider',
				type: 'options',
				noDataExpression: true,
				options: TRIGGER_PROVIDERS.map((p) => ({ name: providerName(p), value: p })),
				default: 'chamelaion',
			},
			{
				displayName: 'Trigger On',
				name: 'triggerOn',
				type: 'options',
				options: [
					{ name: 'Completed Jobs', value: 'completed', description: 'The video is ready (resultUrl is set)' },
					{ name: 'Failed Jobs', value: 'failed', description: 'The provider could not render the job (error is set)' },
					{ name: 'Completed or Failed Jobs', value: 'finished' },
				],
				default: 'completed',
			},
			{
				displayName: 'Reference ID Prefix',
				name: 'referenceIdPrefix',
				type: 'string',
				default: '',
				placeholder: 'e.g. batch-2026-12-',
				description: 'Only jobs whose reference ID starts with this text (empty: every job of the account)',
				displayOptions: { show: { provider: ['chamelaion'] } },
			},
			optionsCollection('read'),
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const provider = this.getNodeParameter('provider') as ProviderId;
		const triggerOn = this.getNodeParameter('triggerOn', 'completed') as TriggerOn;
		const prefix = String(this.getNodeParameter('referenceIdPrefix', '') ?? '').trim();
		const options = this.getNodeParameter('options', {}) as ItemOptions;
		// The Lip Sync node's client and download helpers read credentials, parameters and n8n's HTTP/binary
		// helpers, which a poll context offers under the same names.
		const ctx = this as unknown as IExecuteFunctions;
		const wanted = (job: LipSyncJob) =>
			(triggerOn === 'finished' ? isFinished(job) : job.status === triggerOn) && (!prefix || (job.referenceId ?? '').startsWith(prefix));

		const state = this.getWorkflowStaticData('node') as Partial<PollState>;
		const first = !Array.isArray(state.seen);
		const seen = new Set(state.seen ?? []);
		const manual = this.getMode() === 'manual';
		const scanKey = `${this.getWorkflow().id ?? ''}:${this.getNode().id}`;
		let jobs: LipSyncJob[];
		try {
			jobs = await listRecent(await clientFactory(ctx, provider)(0), seen, new Set(state.pending ?? []), first || manual || !scannedInProcess.has(scanKey));
		} catch (error) {
			throw toNodeError(ctx, error, 0);
		}

		if (manual) {
			// "Fetch Test Event": the newest matching finished job, whatever was seen before; nothing is remembered.
			const sample = jobs.find((j) => isFinished(j) && wanted(j));
			return sample ? [[await jobItem(ctx, sample, 0, options)]] : null;
		}
		scannedInProcess.add(scanKey);
		const fresh = first ? [] : jobs.filter((j) => isFinished(j) && !seen.has(j.id));
		// Remembered before the items are built: a download that fails must not make the next poll emit them again.
		const finishedNow = jobs.filter(isFinished).map((j) => j.id);
		state.seen = [...new Set([...finishedNow, ...(state.seen ?? [])])].slice(0, MAX_SEEN);
		state.pending = jobs.filter((j) => !isFinished(j)).map((j) => j.id).slice(0, MAX_SEEN);
		const emit = fresh.filter(wanted).reverse(); // oldest first, in the order they were created
		if (!emit.length) return null;
		const items: INodeExecutionData[] = [];
		for (const job of emit) {
			const item = await jobItem(ctx, job, 0, options);
			delete item.pairedItem;
			items.push(item);
		}
		this.logger.info(`Lip Sync Trigger: ${items.length} finished ${providerName(provider)} job(s): ${emit.map((j) => j.id).join(', ')}`);
		return [items];
	}
}

/**
 * The account's newest jobs, page by page (the providers list newest first), until a page holds only finished jobs
 * already seen and every job still pending at the last poll has been read again (older jobs were read by earlier
 * polls), the list ends, or MAX_PAGES. `all` reads up to MAX_PAGES (the first poll). A pending job that no longer
 * appears (deleted, or older than MAX_PAGES) is dropped from the pending list by the caller.
 */
async function listRecent(client: Awaited<ReturnType<ReturnType<typeof clientFactory>>>, seen: Set<string>, pending: Set<string>, all: boolean): Promise<LipSyncJob[]> {
	const jobs: LipSyncJob[] = [];
	for (let page = 1; page <= MAX_PAGES; page++) {
		const result = await client.listJobs({ page, limit: PAGE_SIZE });
		jobs.push(...result.jobs);
		for (const j of result.jobs) pending.delete(j.id);
		if (result.hasMore !== true || result.jobs.length === 0) break;
		if (!all && pending.size === 0 && result.jobs.every((j) => isFinished(j) && seen.has(j.id))) break;
	}
	return jobs;
}
