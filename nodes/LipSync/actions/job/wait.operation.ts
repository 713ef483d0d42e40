import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { jobIdProperty, optionsCollection, resultStorageProperty, waitTimeoutField } from '../common.descriptions';
import { isJobOutcome, jobItem, outcomeItem, readOptions, settle, waitOptions, type OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [jobIdProperty, waitTimeoutField, resultStorageProperty(), optionsCollection('wait')];

export const description = updateDisplayOptions({ show: { resource: ['job'], operation: ['wait'] } }, properties);

/** Polls an existing job until it completes, fails or the timeout passes; never creates anything. */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const client = await op.client(itemIndex);
	const jobId = String(this.getNodeParameter('jobId', itemIndex));
	const options = readOptions(this, itemIndex);
	const outcome = await settle(client.waitForJob(jobId, waitOptions(this, op, itemIndex, () => `job ${jobId}`)));
	if (outcome.ok) return [await jobItem(this, outcome.value, itemIndex, options, { client, signal: op.signal })];
	if (options.onFailure === 'output' && isJobOutcome(outcome.error)) return [outcomeItem(outcome.error, itemIndex, options, op.provider)];
	throw outcome.error;
}
