import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription, IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { resumeFromCallback, resumeWebhook } from './actions/job/callbackWait';
import { router } from './actions/router';
import { subtitle, versionDescription } from './actions/versionDescription';
import { lipSyncKitS3StorageTest } from './methods/credentialTest';
import { searchVoices } from './methods/listSearch';

export class LipSync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Lip Sync',
		name: 'lipSync',
		icon: { light: 'file:../../icons/lipsync.svg', dark: 'file:../../icons/lipsync.dark.svg' },
		group: ['transform'],
		// "Create and Wait · JoggAI": the names the panel shows, not the raw values.
		subtitle,
		description: 'Make a lip-synced video from a video and a voice track with Akool, Chamelaion, Fish Audio or JoggAI, and wait for it',
		usableAsTool: true,
		...versionDescription,
		// Written out (not built from the provider list) so n8n's lint can read them: each provider's credential
		// shows for its provider; the media storage one when the node uploads through it (tested by this node).
		// The storage one also names the hidden "authentication" parameter, which keeps n8n's editor from taking
		// "provider" as an authentication field and hiding it (see authenticationProperty).
		credentials: [
			{ name: 'lipSyncKitAkoolApi', required: true, displayOptions: { show: { provider: ['akool'] } } },
			{ name: 'lipSyncKitChamelaionApi', required: true, displayOptions: { show: { provider: ['chamelaion'] } } },
			{ name: 'lipSyncKitFishAudioOpenApi', required: true, displayOptions: { show: { provider: ['fishaudio-open'] } } },
			{ name: 'lipSyncKitFishAudioV1Api', required: true, displayOptions: { show: { provider: ['fishaudio-v1'] } } },
			{ name: 'lipSyncKitJoggAiApi', required: true, displayOptions: { show: { provider: ['joggai'] } } },
			{ name: 'lipSyncKitS3StorageApi', required: true, testedBy: 'lipSyncKitS3StorageTest', displayOptions: { show: { useStorage: [true], authentication: ['apiKey'] } } },
		],
		// Create and Wait with "Wait For: Akool Callback" parks the execution; Akool's callback resumes it here.
		webhooks: [resumeWebhook],
	};

	methods = { credentialTest: { lipSyncKitS3StorageTest }, listSearch: { searchVoices } };

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await resumeFromCallback.call(this);
	}
}
