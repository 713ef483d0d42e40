import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import type { ListQuery, ListJobsResult } from '../../../../src';
import { STATUS_FILTER_PROVIDERS, STATUS_OPTIONS, optionsCollection, providerCreateFields } from '../common.descriptions';
import { jobJson, readOptions, type OperationContext } from '../../helpers/utils';

const PAGE_SIZE = 50;
/** A guard against a provider that always says "more": 200 pages of 50 is 10,000 jobs. */
const MAX_PAGES = 200;

const playbackType = providerCreateFields.find((p) => p.name === 'playbackType')!;

const properties: INodeProperties[] = [
	{
		displayName: 'Video URL',
		name: 'videoUrl',
		type: 'string',
		required: true,
		default: '',
		description: 'JoggAI looks up the latest job made from exactly this video URL and the audio URL below',
		displayOptions: { show: { provider: ['joggai'] } },
	},
	{
		displayName: 'Audio URL',
		name: 'audioUrl',
		type: 'string',
		required: true,
		default: '',
		description: 'The audio URL the job was created with',
		displayOptions: { show: { provider: ['joggai'] } },
	},
	playbackType,
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: { hide: { provider: ['joggai'] } },
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 100 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: { show: { returnAll: [false] }, hide: { provider: ['joggai'] } },
	},
	{
		displayName: 'Filters',
		name: 'filters',
		type: 'collection',
		placeholder: 'Add Filter',
		default: {},
		displayOptions: { hide: { provider: ['joggai'] } },
		options: [
			{
				displayName: 'Reference ID',
				name: 'referenceId',
				type: 'string',
				default: '',
				description: 'Only the job created with this reference ID',
				displayOptions: { show: { '/provider': ['chamelaion'] } },
			},
			{
				displayName: 'Status',
				name: 'status',
				type: 'options',
				options: STATUS_OPTIONS,
				default: 'completed',
				description: 'Only jobs in this state (Chamelaion applies it to each page it returns)',
				displayOptions: { show: { '/provider': STATUS_FILTER_PROVIDERS } },
			},
		],
	},
	optionsCollection('create'),
];

export const description = updateDisplayOptions({ show: { resource: ['job'], operation: ['getAll'] } }, properties);

/** Lists jobs, one output item per job. JoggAI has no list: it finds the latest job for a video + audio pair. */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const client = await op.client(itemIndex);
	const includeRaw = readOptions(this, itemIndex).includeRaw;
	const toItems = (result: ListJobsResult) => result.jobs.map((job) => ({ json: jobJson(job, includeRaw), pairedItem: { item: itemIndex } }));
	if (op.provider === 'joggai') {
		const query: ListQuery = {
			videoUrl: String(this.getNodeParameter('videoUrl', itemIndex, '')).trim(),
			audioUrl: String(this.getNodeParameter('audioUrl', itemIndex, '')).trim(),
			playbackType: String(this.getNodeParameter('playbackType', itemIndex, '')) || undefined,
		};
		return toItems(await client.listJobs(query, { signal: op.signal }));
	}
	const filters = this.getNodeParameter('filters', itemIndex, {}) as { status?: ListQuery['status']; referenceId?: string };
	const base: ListQuery = { status: filters.status, referenceId: filters.referenceId?.trim() || undefined };
	if (!this.getNodeParameter('returnAll', itemIndex, false)) {
		const limit = Number(this.getNodeParameter('limit', itemIndex, PAGE_SIZE));
		const result = await client.listJobs({ ...base, page: 1, limit }, { signal: op.signal });
		return toItems({ ...result, jobs: result.jobs.slice(0, limit) });
	}
	const out: INodeExecutionData[] = [];
	for (let page = 1; page <= MAX_PAGES; page++) {
		const result = await client.listJobs({ ...base, page, limit: PAGE_SIZE }, { signal: op.signal });
		out.push(...toItems(result));
		// A status filter (applied per page by Chamelaion) can empty a page that is not the last.
		if (result.hasMore !== true || (result.jobs.length === 0 && !base.status)) break;
	}
	return out;
}
