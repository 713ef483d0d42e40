import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { resumeFromCallback, resumeWebhook } from './actions/job/callbackWait';
import { router } from './actions/router';
import { versionDescription } from './actions/versionDescription';

export class LipSync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Lip Sync',
		name: 'lipSync',
		icon: { light: 'file:../../icons/lipsync.svg', dark: 'file:../../icons/lipsync.dark.svg' },
		group: ['transform'],
		subtitle: '={{ $parameter["operation"] + " · " + $parameter["provider"] }}',
		description: 'Make a lip-synced video from a video and a voice track with Akool, Chamelaion, Fish Audio or JoggAI, and wait for it',
		usableAsTool: true,
		...versionDescription,
		// Create and Wait with "Wait For: Akool Callback" parks the execution; Akool's callback resumes it here.
		webhooks: [resumeWebhook],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeFromCallback.call(this);
	}
}
