import type { IDataObject } from 'n8n-workflow';
import type { Voice } from '../../../../src';

/** A voice as an item's json: every normalized field, without the provider's body. */
export function voiceJson(voice: Voice): IDataObject {
	return Object.fromEntries(Object.entries(voice).filter(([key, v]) => key !== 'raw' && v !== undefined)) as IDataObject;
}
