import type { IDataObject, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { AKOOL_CREDENTIAL, DEFAULT_MAX_AGE_SECONDS, receiveAkoolCallback } from '../LipSync/helpers/akoolCallback';
import { jobJson } from '../LipSync/helpers/utils';

/**
 * Starts a workflow from Akool's lip-sync job callbacks (fire-and-forget flows: create jobs with this node's URL as
 * their Webhook URL, handle each finished video here). Only verified callbacks start anything.
 */
export class LipSyncAkoolTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Lip Sync Akool Trigger',
		name: 'lipSyncAkoolTrigger',
		icon: { light: 'file:../../icons/lipsync.svg', dark: 'file:../../icons/lipsync.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{ ($parameter["events"] || []).join(", ") }}',
		description: "Starts the workflow when Akool posts a lip-sync job's callback (signature and timestamp checked)",
		defaults: { name: 'Lip Sync Akool Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: AKOOL_CREDENTIAL, required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: 'akool-lipsync' }],
		properties: [
			{
				displayName:
					'Use this node\'s Production URL as the Webhook URL of your Akool jobs (Lip Sync node, provider Akool, Create). The URL must be reachable from the internet: set n8n\'s WEBHOOK_URL to its public address. The credential needs the Akool Client ID as well as the API key.',
				name: 'notice',
				type: 'notice',
				default: '',
			},
			{
				displayName: 'Trigger On',
				name: 'events',
				type: 'multiOptions',
				options: [
					{ name: 'Completed', value: 'completed', description: 'The video is ready (resultUrl is set)' },
					{ name: 'Failed', value: 'failed', description: 'Akool could not render the job' },
					{ name: 'Processing', value: 'processing', description: 'Akool started rendering the job' },
				],
				default: ['completed', 'failed'],
				description: 'Which job statuses start the workflow. Other callbacks are acknowledged and ignored.',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Include Provider Response',
						name: 'includeRaw',
						type: 'boolean',
						default: false,
						description: 'Whether to add the decrypted callback as it came from Akool, in a "raw" field',
					},
					{
						displayName: 'Refuse Callbacks Older Than (Seconds)',
						name: 'maxAgeSeconds',
						type: 'number',
						typeOptions: { minValue: 30 },
						default: DEFAULT_MAX_AGE_SECONDS,
						description: 'A callback whose timestamp is further than this from now is refused as stale or replayed',
					},
				],
			},
		],
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const options = this.getNodeParameter('options', {}) as { includeRaw?: boolean; maxAgeSeconds?: number };
		const outcome = await receiveAkoolCallback(this, options.maxAgeSeconds);
		if ('refused' in outcome) return outcome.refused;
		const { job, body } = outcome;
		const events = this.getNodeParameter('events', []) as string[];
		// Acknowledged (200) either way, so Akool does not retry a status the workflow does not want.
		if (!events.includes(job.status)) return { webhookResponse: { ok: true, ignored: job.status } };
		const json: IDataObject = { ...jobJson(job, options.includeRaw), callback: { timestamp: body.timestamp, nonce: body.nonce } as IDataObject };
		return { workflowData: [[{ json }]] };
	}
}
