import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { jobIdProperty, optionsCollection, resultStorageProperty } from '../common.descriptions';
import { jobItem, readOptions, type OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [jobIdProperty, resultStorageProperty(), optionsCollection('read')];

export const description = updateDisplayOptions({ show: { resource: ['job'], operation: ['get'] } }, properties);

/** One status request: the job as it is now (no waiting). */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const client = await op.client(itemIndex);
	const job = await client.getJob(String(this.getNodeParameter('jobId', itemIndex)), { signal: op.signal });
	return [await jobItem(this, job, itemIndex, readOptions(this, itemIndex), { client, signal: op.signal })];
}
