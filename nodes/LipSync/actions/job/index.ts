import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import type { OperationContext } from '../../helpers/utils';
import { LISTING_PROVIDERS, PROVIDERS } from '../common.descriptions';
import * as create from './create.operation';
import * as createAndWait from './createAndWait.operation';
import * as get from './get.operation';
import * as getAll from './getAll.operation';
import * as wait from './wait.operation';

export interface JobOperation {
	description: INodeProperties[];
	execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]>;
}

export type JobOperationName = 'create' | 'createAndWait' | 'get' | 'getAll' | 'wait';

export const operations: Record<JobOperationName, JobOperation> = { create, createAndWait, get, getAll, wait };

/** Operations whose items wait for jobs; those run several items at once (Options > Parallel Jobs). */
export const WAITING_OPERATIONS: JobOperationName[] = ['createAndWait', 'wait'];

const OPTIONS = {
	create: {
		name: 'Create',
		value: 'create',
		action: 'Create a lip-sync job',
		description: 'Start a job and output its ID at once, without waiting for the video',
	},
	createAndWait: {
		name: 'Create and Wait',
		value: 'createAndWait',
		action: 'Create a lip-sync job and wait for the video',
		description: 'Start a job and wait until the video is ready (or the timeout passes)',
	},
	get: { name: 'Get', value: 'get', action: 'Get a lip-sync job', description: 'Get the current status of a job' },
	getAll: {
		name: 'Get Many',
		value: 'getAll',
		action: 'List lip-sync jobs',
		description: "List the account's jobs (JoggAI: find the latest job for a video and audio pair)",
	},
	wait: {
		name: 'Wait',
		value: 'wait',
		action: 'Wait for a lip-sync job to finish',
		description: 'Wait until an existing job completes, fails or the timeout passes',
	},
} as const;

function operationProperty(providers: string[], names: JobOperationName[]): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['job'], provider: providers } },
		options: names.map((n) => ({ ...OPTIONS[n] })),
		default: 'createAndWait',
	};
}

// Two variants of one parameter: providers without a list endpoint do not offer Get Many at all.
const withoutList = PROVIDERS.filter((p) => !LISTING_PROVIDERS.includes(p));

export const description: INodeProperties[] = [
	operationProperty(LISTING_PROVIDERS, ['create', 'createAndWait', 'get', 'getAll', 'wait']),
	...(withoutList.length ? [operationProperty(withoutList, ['create', 'createAndWait', 'get', 'wait'])] : []),
	...create.description,
	...createAndWait.description,
	...get.description,
	...getAll.description,
	...wait.description,
];
