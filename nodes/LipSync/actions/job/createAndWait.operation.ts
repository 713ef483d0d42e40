import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { mediaFields, optionsCollection, providerCreateFields, waitTimeoutField } from '../common.descriptions';
import { createAndWaitForCallback, waitForField } from './callbackWait';
import { audioFromText, speechSourceFields } from '../../helpers/speech';
import { isJobOutcome, jobItem, outcomeItem, readCreateInput, readOptions, settle, waitOptions, type OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [...speechSourceFields, ...mediaFields, ...providerCreateFields, waitForField, waitTimeoutField, optionsCollection('wait')];

export const description = updateDisplayOptions({ show: { resource: ['job'], operation: ['createAndWait'] } }, properties);

/**
 * Creates one job and waits for it. The create is sent once: a timeout, a failed poll or a stop never sends it
 * again, and every error after the create carries the job ID.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	if (op.provider === 'akool' && this.getNodeParameter('waitFor', itemIndex, 'poll') === 'callback') return await createAndWaitForCallback.call(this, itemIndex, op);
	const client = await op.client(itemIndex);
	const input = await readCreateInput(this, op.provider, itemIndex);
	// Fish Audio: "Speak Text for the Audio" makes the speech first and lip-syncs its URL.
	const spoken = await audioFromText(this, op.provider, itemIndex, op.signal);
	if (spoken) {
		input.audioUrl = spoken.audioUrl;
		delete input.audio;
	}
	const options = readOptions(this, itemIndex);
	let jobId: string | undefined;
	const wait = waitOptions(this, op, itemIndex, () => `job ${jobId ?? '(new)'}`);
	const outcome = await settle(
		client.createAndWait(input, {
			...wait,
			onCreated: (job) => {
				jobId = job.id;
				op.created(itemIndex, job.id);
			},
		}),
	);
	if (outcome.ok) {
		const item = await jobItem(this, outcome.value, itemIndex, options);
		if (spoken) item.json.speech = spoken.speech;
		return [item];
	}
	if (options.onFailure === 'output' && isJobOutcome(outcome.error)) return [outcomeItem(outcome.error, itemIndex, options)];
	throw outcome.error;
}
