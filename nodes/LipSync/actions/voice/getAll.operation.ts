import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { speechClient, SPEECH_PROVIDERS } from '../../helpers/speech';
import type { OperationContext } from '../../helpers/utils';
import { voiceJson } from './shared';

const properties: INodeProperties[] = [
	{ displayName: 'Search', name: 'voiceSearch', type: 'string', default: '', description: 'Only voices whose name contains this text' },
	{ displayName: 'Limit', name: 'limit', type: 'number', typeOptions: { minValue: 1, maxValue: 100 }, default: 50, description: 'Max number of results to return' },
];

export const description = updateDisplayOptions({ show: { resource: ['voice'], operation: ['getAll'], provider: SPEECH_PROVIDERS } }, properties);

/** One item per voice of the account (presets and clones). */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const client = await speechClient(this, op.provider, itemIndex);
	const search = String(this.getNodeParameter('voiceSearch', itemIndex, '')).trim() || undefined;
	const limit = Number(this.getNodeParameter('limit', itemIndex, 50));
	const list = await client.listVoices({ search, limit }, { signal: op.signal });
	return list.voices.map((v) => ({ json: voiceJson(v), pairedItem: { item: itemIndex } }));
}
