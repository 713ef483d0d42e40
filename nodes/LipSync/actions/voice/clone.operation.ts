import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { NodeOperationError, updateDisplayOptions } from 'n8n-workflow';
import { speechClient, SPEECH_PROVIDERS } from '../../helpers/speech';
import type { OperationContext } from '../../helpers/utils';
import { voiceJson } from './shared';

const properties: INodeProperties[] = [
	{ displayName: 'Voice Name', name: 'voiceName', type: 'string', required: true, default: '', placeholder: 'e.g. My narrator', description: 'The name of the new voice' },
	{
		displayName: 'Sample Input Binary Field',
		name: 'sampleBinaryProperty',
		type: 'string',
		required: true,
		default: 'data',
		hint: "The name of the input item's binary field that holds the recording",
		description: 'A WAV or MP3 recording of the voice (e.g. from a Read File or HTTP Request node)',
	},
	{ displayName: 'Description', name: 'voiceDescription', type: 'string', default: '', description: 'A note about the voice' },
	{
		displayName: 'Visibility',
		name: 'visibility',
		type: 'options',
		options: [
			{ name: 'Private', value: 'private' },
			{ name: 'Public', value: 'public' },
		],
		default: 'private',
		description: 'Who may use the voice (open API)',
		displayOptions: { show: { provider: ['fishaudio-open'] } },
	},
];

export const description = updateDisplayOptions({ show: { resource: ['voice'], operation: ['clone'], provider: SPEECH_PROVIDERS } }, properties);

/** Clones a voice from the item's recording; the new voice (its id) comes out. Sent once: a clone may bill. */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const field = String(this.getNodeParameter('sampleBinaryProperty', itemIndex, 'data')).trim();
	if (!field) {
		throw new NodeOperationError(this.getNode(), 'Sample Input Binary Field is empty', { itemIndex, description: 'Enter the binary field that holds the recording, e.g. "data"' });
	}
	const binary = this.helpers.assertBinaryData(itemIndex, field);
	const data = await this.helpers.getBinaryDataBuffer(itemIndex, field);
	const client = await speechClient(this, op.provider, itemIndex);
	const voice = await client.cloneVoice(
		{
			name: String(this.getNodeParameter('voiceName', itemIndex, '')),
			description: String(this.getNodeParameter('voiceDescription', itemIndex, '')) || undefined,
			...(op.provider === 'fishaudio-open' ? { visibility: this.getNodeParameter('visibility', itemIndex, 'private') as 'private' | 'public' } : {}),
			samples: [{ data, filename: binary.fileName, contentType: binary.mimeType }],
		},
		{ signal: op.signal },
	);
	return [{ json: voiceJson(voice), pairedItem: { item: itemIndex } }];
}
