import type { ILoadOptionsFunctions, INodeListSearchResult } from 'n8n-workflow';
import type { ProviderId } from '../../../src';
import { speechClient } from '../helpers/speech';

/** The voice picker's list: the account's voices, searched by name where the API can (v1), else filtered here. */
export async function searchVoices(this: ILoadOptionsFunctions, filter?: string): Promise<INodeListSearchResult> {
	const provider = this.getCurrentNodeParameter('provider') as ProviderId;
	const client = await speechClient(this, provider);
	const list = await client.listVoices({ limit: 100, search: provider === 'fishaudio-v1' ? filter || undefined : undefined });
	const needle = (filter ?? '').toLowerCase();
	return {
		results: list.voices
			.filter((v) => !needle || v.name.toLowerCase().includes(needle) || v.id.toLowerCase().includes(needle))
			.map((v) => ({ name: v.personal ? `${v.name} (yours)` : v.name, value: v.id })),
	};
}
