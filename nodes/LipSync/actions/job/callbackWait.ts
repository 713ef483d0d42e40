import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeProperties, IWebhookFunctions, IWebhookResponseData, IWebhookDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { formatDuration } from '../../../../src';
import { AKOOL_CREDENTIAL, receiveAkoolCallback } from '../../helpers/akoolCallback';
import { jobJson, readCreateInput, readOptions, type OperationContext } from '../../helpers/utils';

/**
 * Create and Wait with "Wait For: Akool Callback": the job is created with this execution's resume URL as its
 * webhookUrl, the execution is parked (putExecutionToWait, like n8n's Wait node "On Webhook Call"), so no worker is
 * held and nothing polls, and the node's webhook() resumes it with the verified final callback.
 *
 * At the timeout n8n resumes the execution without running this node again: what passes on then is the item set
 * here before parking, the created job with error code TIMEOUT, so its ID always reaches the flow.
 */

export const waitForField: INodeProperties = {
	displayName: 'Wait For',
	name: 'waitFor',
	type: 'options',
	options: [
		{ name: 'Polling', value: 'poll', description: 'The node checks the job until it ends; the execution keeps running meanwhile' },
		{
			name: 'Akool Callback',
			value: 'callback',
			description:
				"The execution waits (no worker held, no polling) until Akool posts the job's callback to n8n; needs a public WEBHOOK_URL and the credential's Client ID",
		},
	],
	default: 'poll',
	displayOptions: { show: { provider: ['akool'] } },
};

/** The resume webhook (n8n calls webhook() when the execution's resume URL is posted to). */
export const resumeWebhook: IWebhookDescription = { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '', restartWebhook: true };

export async function createAndWaitForCallback(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const node = this.getNode();
	const count = this.getInputData().length;
	if (count !== 1) {
		throw new NodeOperationError(node, `Wait For "Akool Callback" takes one item per execution; this run has ${count}`, {
			itemIndex,
			description: 'One execution waits for one callback. Send one item per execution (e.g. Loop Over Items into an Execute Workflow node), or set Wait For to Polling.',
		});
	}
	const resumeUrl = String(this.evaluateExpression('{{ $execution.resumeUrl }}', itemIndex) ?? '');
	if (!/^https?:\/\/[^/]/i.test(resumeUrl)) {
		throw new NodeOperationError(node, 'This n8n instance has no URL that Akool could post the callback to', {
			itemIndex,
			description: `The execution's resume URL is "${resumeUrl}". Set WEBHOOK_URL to n8n's public address, or set Wait For to Polling.`,
		});
	}
	const credentials = (await this.getCredentials(AKOOL_CREDENTIAL, itemIndex)) as { clientId?: string };
	if (!String(credentials.clientId ?? '').trim()) {
		// Checked before the create: a job whose callback could not be verified would only ever end at the timeout.
		throw new NodeOperationError(node, 'The Akool credential has no Client ID, which is needed to verify callbacks', {
			itemIndex,
			description: 'Add the Client ID from your Akool account to the credential, or set Wait For to Polling.',
		});
	}
	const minutes = Number(this.getNodeParameter('timeoutMinutes', itemIndex, 30));
	if (!Number.isFinite(minutes) || minutes <= 0) {
		throw new NodeOperationError(node, 'Timeout (Minutes) must be a number above 0', { itemIndex, description: 'Set it to how long a job may take, e.g. 30' });
	}
	const client = await op.client(itemIndex);
	const input = await readCreateInput(this, op.provider, itemIndex);
	input.webhookUrl = resumeUrl;
	const job = await client.createJob(input, { signal: op.signal });
	op.created(itemIndex, job.id);
	const options = readOptions(this, itemIndex);
	const timeoutMs = Math.round(minutes * 60_000);
	const timedOut: INodeExecutionData = {
		json: {
			...jobJson(job, options.includeRaw),
			error: {
				code: 'TIMEOUT',
				message: `No final callback from Akool within ${formatDuration(timeoutMs)}. The job was not cancelled: check it with Get or Wait and its ID`,
				provider: 'akool',
				jobId: job.id,
			} as IDataObject,
		},
		pairedItem: { item: itemIndex },
	};
	// What n8n passes on if the wait times out (it resumes without running this node); the job ID is never lost.
	this.getExecuteData().data = { main: [[timedOut]] };
	this.logger.debug(`Lip Sync: job ${job.id} created; execution waits for its Akool callback at ${resumeUrl}`, { jobId: job.id });
	await this.putExecutionToWait(new Date(Date.now() + timeoutMs));
	return [timedOut];
}

/** Resumes the parked execution with the verified final callback; "processing" callbacks are acknowledged only. */
export async function resumeFromCallback(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const outcome = await receiveAkoolCallback(this);
	if ('refused' in outcome) return outcome.refused;
	const { job } = outcome;
	if (job.status !== 'completed' && job.status !== 'failed') {
		this.getResponseObject().status(200).json({ ok: true, waiting: true });
		return { noWebhookResponse: true };
	}
	const options = this.getNodeParameter('options', {}) as { includeRaw?: boolean };
	const json = jobJson(job, options.includeRaw);
	if (job.status === 'failed') {
		json.error = {
			code: 'JOB_FAILED',
			message: `The job failed: ${job.error?.message ?? 'no reason given'}`,
			provider: 'akool',
			jobId: job.id,
		};
	}
	return { workflowData: [[{ json }]] };
}
