import type { IExecuteFunctions, INodeExecutionData, INodeProperties, IWebhookFunctions, IWebhookResponseData, IWebhookDescription } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { jobFailedError, waitTimedOutError, type LipSyncJob } from '../../../../src';
import { AKOOL_CREDENTIAL, receiveAkoolCallback } from '../../helpers/akoolCallback';
import { accountClient, errorItem, jobJson, readCreateInput, readOptions, settle, type AccountCredentials, type OperationContext } from '../../helpers/utils';

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
	// The same item as a polled wait that times out with "Output the Job" (job fields, id on top, error TIMEOUT).
	const timedOut = errorItem(waitTimedOutError(job.id, job, timeoutMs), itemIndex, { provider: op.provider, includeRaw: options.includeRaw });
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
	const final = await withStatusFields(this, job);
	// The same item a polled wait gives: the job's fields, and for a failed job the error item "Output the Job" gives.
	const item = final.status === 'failed' ? errorItem(jobFailedError(final), 0, { provider: 'akool', includeRaw: options.includeRaw }) : { json: jobJson(final, options.includeRaw) };
	return { workflowData: [[{ json: item.json }]] };
}

/**
 * Akool's callback carries only the job's id, status and video URL; a polled job also has what Akool's status
 * query answers (creation time, duration, ...). One status query fills those in, so both waits give the same item;
 * the callback's own fields win. If the query fails, the verified callback still resumes the execution.
 */
async function withStatusFields(ctx: IWebhookFunctions, job: LipSyncJob): Promise<LipSyncJob> {
	const credentials = (await ctx.getCredentials(AKOOL_CREDENTIAL)) as AccountCredentials;
	const fetched = await settle(accountClient(ctx, 'akool', credentials).getJob(job.id));
	if (!fetched.ok) {
		ctx.logger.warn(`Lip Sync: the status query for Akool job ${job.id} failed (${(fetched.error as Error).message}); resuming with the callback's fields only`, { jobId: job.id });
		return job;
	}
	const own = Object.fromEntries(Object.entries(job).filter(([, value]) => value !== undefined)) as Partial<LipSyncJob>;
	const error = job.error || fetched.value.error ? { ...fetched.value.error, ...job.error } : undefined;
	return { ...fetched.value, ...own, ...(error ? { error: error as LipSyncJob['error'] } : {}) };
}
