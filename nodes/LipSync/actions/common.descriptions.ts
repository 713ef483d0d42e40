import type { INodeProperties } from 'n8n-workflow';
import { adapters, DEFAULT_RESULT_KEY, type ProviderId } from '../../../src';
import { PLAYBACK_TYPES } from '../../../src/providers/joggai';

/** Providers in the order the selector shows them (alphabetical, as n8n lists options). */
export const PROVIDERS: ProviderId[] = ['akool', 'chamelaion', 'fishaudio-open', 'fishaudio-v1', 'joggai'];

/** The credential type of each provider (credentials/*.credentials.ts). */
export const CREDENTIAL_TYPES: Record<ProviderId, string> = {
	akool: 'lipSyncKitAkoolApi',
	chamelaion: 'lipSyncKitChamelaionApi',
	'fishaudio-open': 'lipSyncKitFishAudioOpenApi',
	'fishaudio-v1': 'lipSyncKitFishAudioV1Api',
	joggai: 'lipSyncKitJoggAiApi',
};

/** Providers with a list endpoint (JoggAI's is a lookup of the latest job for a video + audio pair). */
export const LISTING_PROVIDERS = PROVIDERS.filter((p) => Boolean(adapters[p].buildList));
/** Providers whose list can be filtered by job status. */
export const STATUS_FILTER_PROVIDERS: ProviderId[] = ['chamelaion', 'fishaudio-open', 'fishaudio-v1'];

const HINTS: Partial<Record<ProviderId, string>> = {
	akool: 'video up to 60 s, 300 MB and 60 fps, with a sound track',
	chamelaion: 'MP4 video; WAV or MP3 audio',
	joggai: 'MP4, WebM or MOV video up to 100 MB and 5 min; MP3, WAV or M4A audio up to 20 MB and 10 min',
};

export const providerProperty: INodeProperties = {
	displayName: 'Provider',
	name: 'provider',
	type: 'options',
	noDataExpression: true,
	options: PROVIDERS.map((id) => ({ name: adapters[id].displayName, value: id, description: HINTS[id] })),
	default: 'akool',
	description: 'The lip-sync service that renders the video. The credential below follows this choice.',
};

/** The node's subtitle on the canvas: operation and provider as the panel names them ("Create and Wait · JoggAI"). */
export function subtitleExpression(operations: Record<string, string>): string {
	const providers = Object.fromEntries(PROVIDERS.map((id) => [id, adapters[id].displayName]));
	return `={{ (${JSON.stringify(operations)}[$parameter["operation"]] || $parameter["operation"]) + " · " + (${JSON.stringify(providers)}[$parameter["provider"]] || $parameter["provider"]) }}`;
}

export const jobIdProperty: INodeProperties = {
	displayName: 'Job ID',
	name: 'jobId',
	type: 'string',
	required: true,
	default: '',
	hint: 'Map it from the Create node, e.g. {{ $json.id }}',
	description: 'The ID of the job, as the Create operation output it',
};

function mediaProperties(role: 'video' | 'audio'): INodeProperties[] {
	const label = role === 'video' ? 'Video' : 'Audio';
	const source = `${role}Source`;
	const binaryDefault = role === 'video' ? 'video' : 'data';
	// Create and Wait can make the audio from text first (Fish Audio): then no audio input is asked for.
	const spoken = role === 'audio' ? { audioFromText: [true] } : {};
	return [
		{
			displayName: `${label} Source`,
			name: source,
			type: 'options',
			options: [
				{ name: 'Binary File', value: 'binary', description: 'A file in a binary field of the input item (e.g. from a TTS or Read File node)' },
				{ name: 'URL', value: 'url', description: 'A public http(s) URL the provider downloads' },
			],
			default: 'url',
			displayOptions: { hide: { ...spoken } },
		},
		{
			displayName: `${label} URL`,
			name: `${role}Url`,
			type: 'string',
			required: true,
			default: '',
			placeholder: role === 'video' ? 'https://example.com/presenter.mp4' : 'https://example.com/voice.mp3',
			description: `Public http(s) URL of the ${role} the provider downloads`,
			displayOptions: { hide: { [source]: ['binary'], ...spoken } },
		},
		{
			displayName: `${label} Input Binary Field`,
			name: `${role}BinaryProperty`,
			type: 'string',
			required: true,
			default: binaryDefault,
			hint: `The name of the input item's binary field that holds the ${role} file`,
			description:
				role === 'video'
					? 'With Chamelaion both files go up in one request, so set Audio Source to Binary File too'
					: 'A TTS node usually puts its audio in the field "data"',
			displayOptions: { show: { [source]: ['binary'] }, hide: { ...spoken } },
		},
	];
}

export const STORAGE_CREDENTIAL_TYPE = 'lipSyncKitS3StorageApi';

/**
 * The anchor of n8n's credential rules, never shown. n8n's editor takes the parameter named "authentication" as a
 * node's main credential selector: it hides that parameter from the panel, and also every parameter named in the
 * show-rules of the parameters that credentials depend on. Without this anchor the editor picks "provider" as the
 * main selector (every provider value selects a credential) and hides it, and the storage switch's rules hid
 * Resource, Operation and both sources. With it, the provider stays a normal, visible parameter whose value picks
 * the provider's credential, as in n8n's own nodes with one credential per option. See STORAGE_CREDENTIAL below.
 */
export const authenticationProperty: INodeProperties = {
	displayName: 'Authentication',
	name: 'authentication',
	type: 'hidden',
	default: 'apiKey',
};

/**
 * Show-rules of parameters that a credential depends on hide their targets in n8n's editor (see
 * authenticationProperty), so such parameters (the storage switch) carry the same rule as hide-rules: a show
 * list for a key becomes "hide every other value of that key", with the values taken from the final property list.
 * A key whose values are not a fixed list is kept as a show-rule.
 */
export function showRulesAsHideRules(properties: INodeProperties[], names: string[]): INodeProperties[] {
	const valuesOf = (key: string): Array<string | number | boolean> | undefined => {
		const lists = properties.filter((p) => p.name === key).map((p) => (p.type === 'boolean' ? [true, false] : p.type === 'options' ? (p.options ?? []).map((o) => ('value' in o ? o.value : undefined)) : undefined));
		if (lists.length === 0 || lists.some((l) => l === undefined || l.some((v) => v === undefined))) return undefined;
		return [...new Set(lists.flat() as Array<string | number | boolean>)];
	};
	return properties.map((property) => {
		const show = property.displayOptions?.show;
		if (!names.includes(property.name) || !show) return property;
		const hide: Record<string, Array<string | number | boolean>> = { ...(property.displayOptions?.hide as Record<string, Array<string | number | boolean>> | undefined) };
		for (const [key, wanted] of Object.entries(show)) {
			const all = valuesOf(key);
			if (!all) throw new Error(`showRulesAsHideRules: "${property.name}" is shown by "${key}", which has no fixed list of values`);
			const others = all.filter((v) => !(wanted as unknown[]).includes(v));
			if (others.length) hide[key] = others;
		}
		return { ...property, displayOptions: { hide } };
	});
}

/** Shown once when either input is a binary file (two copies of one parameter, as n8n's displayOptions AND their keys). */
function storageProperty(show: Record<string, string[]>): INodeProperties {
	return {
		displayName: 'Upload Files Through S3-Compatible Storage',
		name: 'useStorage',
		type: 'boolean',
		default: false,
		description:
			'Whether to upload binary files to your S3-compatible bucket (AWS S3, R2, MinIO, …) and hand the provider a presigned URL. Fish Audio and Akool take media only as URLs, so they need it; JoggAI uploads files itself, and Chamelaion does when both inputs are files.',
		displayOptions: { show },
	};
}

/**
 * The same switch where no input is a file: it picks the storage credential for Options > Save Result to
 * S3-Compatible Storage (Get, Wait, and Create and Wait with URL inputs).
 */
export function resultStorageProperty(show?: Record<string, string[]>): INodeProperties {
	return {
		displayName: 'Use S3-Compatible Storage',
		name: 'useStorage',
		type: 'boolean',
		default: false,
		description: 'Whether to pick an S3-compatible storage credential (AWS S3, R2, MinIO, …), for Options > Save Result to S3-Compatible Storage',
		...(show ? { displayOptions: { show } } : {}),
	};
}

export const mediaFields: INodeProperties[] = [
	...mediaProperties('video'),
	...mediaProperties('audio'),
	storageProperty({ videoSource: ['binary'] }),
	storageProperty({ videoSource: ['url'], audioSource: ['binary'] }),
];

/** Labels for JoggAI's playback types; typed so a value added to the adapter cannot miss its label. */
const PLAYBACK_LABELS: Record<(typeof PLAYBACK_TYPES)[number], { name: string; description: string }> = {
	normal: { name: 'Normal', description: 'Play the video once; it is cut or frozen to the audio length' },
	normal_reverse: { name: 'Normal Then Reverse', description: 'Loop the video forwards then backwards while the audio lasts' },
	normal_reverse_by_audio: { name: 'Normal Then Reverse, to Audio Length', description: 'Loop forwards and backwards, ending exactly with the audio' },
};

/** Create options that exist for one provider only, shown only when that provider is selected. */
export const providerCreateFields: INodeProperties[] = [
	{
		displayName: 'Webhook URL',
		name: 'webhookUrl',
		type: 'string',
		default: '',
		placeholder: 'https://your-n8n.example.com/webhook/akool-lipsync',
		description:
			'Akool posts the job (encrypted) to this URL, e.g. a Lip Sync Akool Trigger. Optional: the wait operations poll anyway. Create and Wait with Wait For: Akool Callback sends its own resume URL instead.',
		displayOptions: { show: { provider: ['akool'] } },
	},
	{
		displayName: 'Reference ID',
		name: 'referenceId',
		type: 'string',
		default: '',
		description:
			'Your own ID for the job (e.g. an order number), returned with it and usable as a list filter. Leave empty to get a generated one, which also lets a create whose answer was lost be found again instead of being sent twice.',
		displayOptions: { show: { provider: ['chamelaion'] } },
	},
	{
		displayName: 'Disable Active Speaker Detection',
		name: 'disableActiveSpeakerDetection',
		type: 'boolean',
		default: false,
		description: 'Whether to lip-sync the face Chamelaion finds first instead of detecting who is speaking (for single-face videos)',
		displayOptions: { show: { provider: ['chamelaion'] } },
	},
	{
		displayName: 'Playback Type',
		name: 'playbackType',
		type: 'options',
		options: PLAYBACK_TYPES.map((value) => ({ value, ...PLAYBACK_LABELS[value] })),
		default: 'normal',
		description: 'How JoggAI fits the video to the audio when their lengths differ',
		displayOptions: { show: { provider: ['joggai'] } },
	},
];

export const waitTimeoutField: INodeProperties = {
	displayName: 'Timeout (Minutes)',
	name: 'timeoutMinutes',
	type: 'number',
	typeOptions: { minValue: 1, maxValue: 1440 },
	default: 30,
	description:
		'How long to wait for the job before giving up. The job is not cancelled and its ID is kept in the error or output, so it can be picked up later with Wait for Job.',
};

const includeRawOption: INodeProperties = {
	displayName: 'Include Provider Response',
	name: 'includeRaw',
	type: 'boolean',
	default: false,
	description: "Whether to add the provider's own response under \"raw\" (for fields this node does not map)",
};

const downloadOptions: INodeProperties[] = [
	{
		displayName: 'Download Result',
		name: 'download',
		type: 'boolean',
		default: false,
		description: 'Whether to download a finished video into a binary field, ready for a storage node (result URLs expire)',
	},
	{
		displayName: 'Put Video in Field',
		name: 'binaryPropertyName',
		type: 'string',
		default: 'data',
		description: 'The binary field that receives the downloaded video',
		displayOptions: { show: { download: [true] } },
	},
	{
		displayName: 'Allow Private Networks',
		name: 'allowPrivateNetworks',
		type: 'boolean',
		default: false,
		description:
			"Whether the result may be downloaded from a loopback, private or link-local address. Off: such a result URL is refused (the credential's base URL host is always allowed), so a provider cannot make n8n read internal services.",
		displayOptions: { show: { download: [true] } },
	},
	{
		displayName: 'Save Result to S3-Compatible Storage',
		name: 'saveToStorage',
		type: 'boolean',
		default: false,
		description:
			'Whether to stream a finished video from the provider straight into your S3-compatible bucket (needs "Use S3-Compatible Storage" on). The output gets "stored": bucket, key, size, content type and a presigned URL.',
	},
	{
		displayName: 'Result Bucket',
		name: 'resultBucket',
		type: 'string',
		default: '',
		placeholder: "the credential's bucket",
		description: "Another bucket for finished videos (same endpoint and keys); empty = the storage credential's bucket",
		displayOptions: { show: { saveToStorage: [true] } },
	},
	{
		displayName: 'Result Key',
		name: 'resultKey',
		type: 'string',
		default: DEFAULT_RESULT_KEY,
		description:
			"The object key of the stored video. Placeholders: {jobId}, {provider}, {date} (YYYY-MM-DD, UTC), {time} (HHmmss), {ext} (mp4, webm or mov) and {prefix} (the credential's key prefix).",
		displayOptions: { show: { saveToStorage: [true] } },
	},
];

const waitOptions: INodeProperties[] = [
	{
		displayName: 'On Failure or Timeout',
		name: 'onFailure',
		type: 'options',
		options: [
			{ name: 'Stop With an Error', value: 'error', description: 'The node fails (or, with "Continue On Fail", outputs the error)' },
			{
				name: 'Output the Job',
				value: 'output',
				description: 'Output an item with the job ID, its last status and an "error" field, so an IF node can route it',
			},
		],
		default: 'error',
		description: 'What to do when the job fails at the provider or is still running at the timeout',
	},
	{
		displayName: 'Parallel Jobs',
		name: 'parallel',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description:
			"The most jobs of this run rendering at once, for accounts with a concurrency limit. 0 = no limit: every item's job is created as fast as the provider's rate limit allows and all are waited for together.",
	},
	{
		displayName: 'Poll Interval (Seconds)',
		name: 'pollIntervalSeconds',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 600 },
		default: 0,
		description:
			"Seconds between status checks. 0 = adaptive: checks often at first, then less often the longer a job runs (and just before the provider's progress says it will finish).",
	},
];

function sortByName(list: INodeProperties[]): INodeProperties[] {
	return [...list].sort((a, b) => a.displayName.localeCompare(b.displayName));
}

export function optionsCollection(kind: 'create' | 'read' | 'wait'): INodeProperties {
	const list = kind === 'create' ? [includeRawOption] : kind === 'read' ? [includeRawOption, ...downloadOptions] : [includeRawOption, ...downloadOptions, ...waitOptions];
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		options: sortByName(list),
	};
}

export const STATUS_OPTIONS = [
	{ name: 'Completed', value: 'completed' },
	{ name: 'Failed', value: 'failed' },
	{ name: 'Processing', value: 'processing' },
	{ name: 'Queued', value: 'queued' },
];
