import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';
import { updateDisplayOptions } from 'n8n-workflow';
import { speechClient, voiceLocator } from '../../helpers/speech';
import type { OperationContext } from '../../helpers/utils';

const properties: INodeProperties[] = [voiceLocator('voiceToDelete', 'Voice')];

export const description = updateDisplayOptions({ show: { resource: ['voice'], operation: ['delete'], provider: ['fishaudio-v1'] } }, properties);

/** Deletes one of the account's voices (v1 API; the open API documents no delete). */
export async function execute(this: IExecuteFunctions, itemIndex: number, op: OperationContext): Promise<INodeExecutionData[]> {
	const voiceId = String(this.getNodeParameter('voiceToDelete', itemIndex, '', { extractValue: true }));
	const client = await speechClient(this, op.provider, itemIndex);
	await client.deleteVoice(voiceId, { signal: op.signal });
	return [{ json: { deleted: true, voiceId }, pairedItem: { item: itemIndex } }];
}
