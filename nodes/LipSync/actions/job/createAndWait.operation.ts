import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { mediaFields, optionsCollection, resultStorageProperty, providerCreateFields, waitTimeoutField } from '../common.descriptions';
import { createAndWaitForCallback, waitForField } from './callbackWait';
import { audioFromText, speechSourceFields } from '../../helpers/speech';
import { isJobOutcome, jobItem, outcomeItem, readCreateInput, readOptions, settle, waitOptions, type OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [
	...speechSourceFields,
	...mediaFields,
	resultStorageProperty({ videoSource: ['url'], audioSource: ['url'] }),
	...providerCreateFields,
	waitForField,
	waitTimeoutField,
	optionsCollection('wait'),
];

export const description = updateDisplayOptions({ show: { resource: ['job'], operation: ['createAndWait'] } }, properties);

/**
 * Creates one job and waits for it. The create is sent once: a timeout, a failed poll or a stop never sends it
 * again, and every error after the create carries the job ID.
 */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	if (op.provider === 'akool' && this.getNodeParameter('waitFor', itemIndex, 'poll') === 'callback') return await createAndWaitForCallback.call(this, itemIndex, op);
	// A batch prepares and sends a few creates at a time; the turn ends as soon as the job exists.
	const endTurn = await op.createTurn();
	try {
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
					endTurn();
				},
			}),
		);
		if (outcome.ok) {
			const item = await jobItem(this, outcome.value, itemIndex, options, { client, signal: op.signal });
			if (spoken) item.json.speech = spoken.speech;
			return [item];
		}
		if (options.onFailure === 'output' && isJobOutcome(outcome.error)) return [outcomeItem(outcome.error, itemIndex, options, op.provider)];
		throw outcome.error;
	} finally {
		endTurn();
	}
}
