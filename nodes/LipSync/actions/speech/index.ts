import type { INodeProperties } from 'n8n-workflow';
import { SPEECH_PROVIDERS } from '../../helpers/speech';
import type { JobOperation } from '../job';
import * as generate from './generate.operation';

export const operations: Record<string, JobOperation> = { generate };

export const description: INodeProperties[] = [
	{
		displayName: 'Speech and voices are available with the Fish Audio providers, on the same credential as their lip-sync',
		name: 'speechNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { resource: ['speech', 'voice'] }, hide: { provider: SPEECH_PROVIDERS } },
	},
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['speech'], provider: SPEECH_PROVIDERS } },
		options: [{ name: 'Generate Speech', value: 'generate', action: 'Generate speech from text', description: 'Speak a text with a voice: the audio as a file, or its URL' }],
		default: 'generate',
	},
	...generate.description,
];
