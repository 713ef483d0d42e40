import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import type { SpeechFormat } from '../../../../src';
import { speakItem, speechJson, SPEECH_PROVIDERS, voiceLocator } from '../../helpers/speech';
import type { OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [
	{
		displayName: 'Text',
		name: 'text',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'e.g. Hello! This video was made from a script.',
		description: 'The script to speak (at most 10,000 characters)',
	},
	voiceLocator('voice'),
	{
		displayName: 'Output',
		name: 'speechOutput',
		type: 'options',
		options: [
			{ name: 'Binary File', value: 'binary', description: 'The audio in a binary field, like n8n\'s text-to-speech nodes' },
			{ name: 'Audio URL', value: 'url', description: "The provider's short-lived audio link, e.g. for a Fish Audio lip-sync" },
		],
		default: 'binary',
	},
	{
		displayName: 'Put Output in Field',
		name: 'speechBinaryProperty',
		type: 'string',
		default: 'data',
		hint: 'The name of the output binary field to put the audio in',
		description: 'The binary field that receives the audio (the Lip Sync node reads "data" by default)',
		displayOptions: { show: { speechOutput: ['binary'] } },
	},
	{
		displayName: 'Options',
		name: 'speechOptions',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: [
			{
				displayName: 'Async Job',
				name: 'asyncJob',
				type: 'boolean',
				default: false,
				description: 'Whether to create a TTS job and wait for it instead of one synchronous request (v1 API)',
				displayOptions: { show: { '/provider': ['fishaudio-v1'] } },
			},
			{
				displayName: 'Format',
				name: 'format',
				type: 'options',
				options: [
					{ name: 'MP3', value: 'mp3' },
					{ name: 'Opus', value: 'opus' },
					{ name: 'WAV', value: 'wav' },
				],
				default: 'mp3',
				description: 'The audio format to ask for',
			},
			{
				displayName: 'Model',
				name: 'model',
				type: 'string',
				default: '',
				placeholder: 'e.g. s1',
				description: 'The voice model: the open API\'s version (s1, v1, v2, v3-turbo, v3-hd) or the v1 API\'s engine model ID; empty for the default',
			},
			{
				displayName: 'Speed',
				name: 'speed',
				type: 'number',
				typeOptions: { minValue: 0.5, maxValue: 2, numberPrecision: 2 },
				default: 1,
				description: 'Speaking speed, 0.5 to 2 (open API)',
				displayOptions: { show: { '/provider': ['fishaudio-open'] } },
			},
		],
	},
];

export const description = updateDisplayOptions({ show: { resource: ['speech'], operation: ['generate'], provider: SPEECH_PROVIDERS } }, properties);

/** One speech request per item: the audio as a binary field (or its URL), with what it cost. */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const output = this.getNodeParameter('speechOutput', itemIndex, 'binary') as 'binary' | 'url';
	const options = this.getNodeParameter('speechOptions', itemIndex, {}) as { asyncJob?: boolean; format?: SpeechFormat; model?: string; speed?: number };
	const speech = await speakItem(
		this,
		op.provider,
		itemIndex,
		{ text: 'text', voice: 'voice' },
		{
			output: output === 'url' ? 'url' : 'audio',
			format: options.format,
			model: options.model || undefined,
			mode: options.asyncJob ? 'job' : 'sync',
			...(op.provider === 'fishaudio-open' && options.speed !== undefined && options.speed !== 1 ? { speed: options.speed } : {}),
		},
		op.signal,
	);
	const voiceId = String(this.getNodeParameter('voice', itemIndex, '', { extractValue: true }));
	const item: INodeExecutionData = { json: speechJson(speech, voiceId), pairedItem: { item: itemIndex } };
	if (output === 'binary' && speech.audio) {
		const field = String(this.getNodeParameter('speechBinaryProperty', itemIndex, 'data')).trim() || 'data';
		item.binary = { [field]: await this.helpers.prepareBinaryData(speech.audio, speech.filename, speech.contentType) };
	}
	return [item];
}
