import type { INodeProperties } from 'n8n-workflow';
import type { JobOperation } from '../job';
import * as clone from './clone.operation';
import * as del from './delete.operation';
import * as getAll from './getAll.operation';

export const operations: Record<string, JobOperation> = { clone, delete: del, getAll };

const OPTIONS = {
	clone: { name: 'Clone', value: 'clone', action: 'Clone a voice from a recording', description: 'Make a new voice from a WAV or MP3 recording in a binary field' },
	delete: { name: 'Delete', value: 'delete', action: 'Delete a voice', description: 'Delete one of your voices' },
	getAll: { name: 'Get Many', value: 'getAll', action: 'List voices', description: "List the account's voices (presets and your clones)" },
} as const;

// Two variants of one parameter: the open API documents no voice delete.
const operation = (provider: string, names: Array<keyof typeof OPTIONS>): INodeProperties => ({
	displayName: 'Operation',
	name: 'operation',
	type: 'options',
	noDataExpression: true,
	displayOptions: { show: { resource: ['voice'], provider: [provider] } },
	options: names.map((n) => ({ ...OPTIONS[n] })),
	default: 'getAll',
});

export const description: INodeProperties[] = [
	operation('fishaudio-v1', ['clone', 'delete', 'getAll']),
	operation('fishaudio-open', ['clone', 'getAll']),
	...getAll.description,
	...clone.description,
	...del.description,
];
