import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { mediaFields, optionsCollection, providerCreateFields } from '../common.descriptions';
import { jobJson, readCreateInput, readOptions, type OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [...mediaFields, ...providerCreateFields, optionsCollection('create')];

export const description = updateDisplayOptions({ show: { resource: ['job'], operation: ['create'] } }, properties);

/** Starts a job and returns at once with its ID (fire and forget: pick it up later with Wait for Job or Get Job). */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const client = await op.client(itemIndex);
	const input = await readCreateInput(this, op.provider, itemIndex);
	const job = await client.createJob(input, { signal: op.signal });
	op.created(itemIndex, job.id);
	return [{ json: jobJson(job, readOptions(this, itemIndex).includeRaw), pairedItem: { item: itemIndex } }];
}
