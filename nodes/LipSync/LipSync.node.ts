import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
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
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		return await router.call(this);
	}
}
