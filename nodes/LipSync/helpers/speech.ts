import type { IExecuteFunctions, ILoadOptionsFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { createSpeechClient, isSpeechProvider, type ProviderId, type SpeakInput, type SpeechClient, type SpeechProviderId, type SpeechResult } from '../../../src';
import { CREDENTIAL_TYPES } from '../actions/common.descriptions';
import { createN8nTransport, n8nDelay } from '../transport';

/** The providers with speech and voices here: the Fish Audio platform, on its lip-sync credentials. */
export const SPEECH_PROVIDERS: SpeechProviderId[] = ['fishaudio-open', 'fishaudio-v1'];

/** A speech client on the node's Fish Audio credential, its requests sent through n8n's helpers (proxy, SSRF rules). */
export async function speechClient(ctx: IExecuteFunctions | ILoadOptionsFunctions, provider: ProviderId, itemIndex = 0): Promise<SpeechClient> {
	if (!isSpeechProvider(provider)) {
		throw new NodeOperationError(ctx.getNode(), 'Speech and voices need a Fish Audio provider', {
			description: 'Choose Provider: Fish Audio (open API) or Fish Audio (v1 API); the other providers take audio from any TTS node',
		});
	}
	const credentialType = CREDENTIAL_TYPES[provider];
	const credentials = (await (ctx as IExecuteFunctions).getCredentials(credentialType, itemIndex)) as { apiKey?: string; baseUrl?: string };
	const apiKey = String(credentials.apiKey ?? '').trim();
	const baseUrl = String(credentials.baseUrl ?? '').trim() || undefined;
	const client = createSpeechClient({ provider, apiKey, baseUrl, transport: (request) => transport(request), delay: n8nDelay, userAgent: 'n8n-nodes-lipsync' });
	const transport = createN8nTransport(ctx as IExecuteFunctions, { credentialType, baseUrl: client.baseUrl, apiKey });
	return client;
}

/** The voice picker: a searchable list of the account's voices (like the official Fish Audio node's), or an ID. */
export function voiceLocator(name: string, displayName = 'Voice'): INodeProperties {
	return {
		displayName,
		name,
		type: 'resourceLocator',
		default: { mode: 'list', value: '' },
		required: true,
		description: 'The voice to speak with: one of your account (presets and your clones), or a voice ID',
		modes: [
			{ displayName: 'From List', name: 'list', type: 'list', typeOptions: { searchListMethod: 'searchVoices', searchable: true } },
			{ displayName: 'ID', name: 'id', type: 'string', placeholder: 'e.g. voice_1a2b3c' },
		],
	};
}

/** Speaks one item's text: the text and voice parameters by name, output audio or URL. */
export async function speakItem(
	ctx: IExecuteFunctions,
	provider: ProviderId,
	itemIndex: number,
	names: { text: string; voice: string },
	extra: Partial<SpeakInput>,
	signal: AbortSignal,
): Promise<SpeechResult> {
	const client = await speechClient(ctx, provider, itemIndex);
	const text = String(ctx.getNodeParameter(names.text, itemIndex, ''));
	const voiceId = String(ctx.getNodeParameter(names.voice, itemIndex, '', { extractValue: true }) ?? '');
	return await client.speak({ text, voiceId, ...extra }, { signal });
}

/** What an item's json says about the speech (never the bytes). */
export function speechJson(speech: SpeechResult, voiceId: string) {
	return {
		voiceId,
		format: speech.format,
		contentType: speech.contentType,
		...(speech.url ? { audioUrl: speech.url } : {}),
		...(speech.audio ? { bytes: speech.audio.length } : {}),
		...(speech.charactersUsed !== undefined ? { charactersUsed: speech.charactersUsed } : {}),
		...(speech.creditsUsed !== undefined ? { creditsUsed: speech.creditsUsed } : {}),
		...(speech.quotaRemaining !== undefined ? { quotaRemaining: speech.quotaRemaining } : {}),
		...(speech.jobId ? { jobId: speech.jobId } : {}),
	};
}

/** Create and Wait on a Fish Audio provider: the audio made from text first, its URL handed to the lip-sync. */
export const speechSourceFields: INodeProperties[] = [
	{
		displayName: 'Speak Text for the Audio',
		name: 'audioFromText',
		type: 'boolean',
		default: false,
		description: "Whether to make the audio from a text with the account's text-to-speech first, instead of taking an audio file or URL",
		displayOptions: { show: { provider: SPEECH_PROVIDERS } },
	},
	{
		displayName: 'Text',
		name: 'speechText',
		type: 'string',
		typeOptions: { rows: 4 },
		required: true,
		default: '',
		placeholder: 'e.g. Hello! This video was made from a script.',
		description: 'The script to speak; the speech becomes the audio of the video',
		displayOptions: { show: { provider: SPEECH_PROVIDERS, audioFromText: [true] } },
	},
	{ ...voiceLocator('speechVoice'), displayOptions: { show: { provider: SPEECH_PROVIDERS, audioFromText: [true] } } },
];

/** When the item speaks its text first: the speech's URL as the create's audio (no storage hop), and what it was. */
export async function audioFromText(ctx: IExecuteFunctions, provider: ProviderId, itemIndex: number, signal: AbortSignal): Promise<{ audioUrl: string; speech: ReturnType<typeof speechJson> } | undefined> {
	if (!isSpeechProvider(provider) || ctx.getNodeParameter('audioFromText', itemIndex, false) !== true) return undefined;
	const speech = await speakItem(ctx, provider, itemIndex, { text: 'speechText', voice: 'speechVoice' }, { output: 'url' }, signal);
	const voiceId = String(ctx.getNodeParameter('speechVoice', itemIndex, '', { extractValue: true }));
	if (!speech.url) {
		throw new NodeOperationError(ctx.getNode(), 'The speech came back as audio bytes without a URL, which the Fish Audio lip-sync cannot take', {
			itemIndex,
			description: 'Use a Generate Speech node with Output: Binary File and Upload Files Through S3-Compatible Storage on this node instead',
		});
	}
	return { audioUrl: speech.url, speech: speechJson(speech, voiceId) };
}
