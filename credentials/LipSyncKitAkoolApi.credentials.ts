import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { credentialAuthentication, credentialIcon, credentialProperties, credentialTest } from './shared/lipSyncCredential';

export class LipSyncKitAkoolApi implements ICredentialType {
	name = 'lipSyncKitAkoolApi';

	displayName = 'Akool Lip Sync API';

	documentationUrl = 'https://www.npmjs.com/package/@lipsync-kit/n8n-nodes-lipsync#credentials';

	icon: Icon = credentialIcon;

	properties: INodeProperties[] = [
		...credentialProperties('akool', 'The API key from the API Keys page of your Akool account (sent as the x-api-key header)'),
		{
			displayName: 'Client ID',
			name: 'clientId',
			type: 'string',
			default: '',
			description:
				'Only needed to receive Akool callbacks (the Lip Sync Akool Trigger, or Wait For: Akool Callback): Akool signs and encrypts them with the client ID and the API key. Find it next to the API key in your Akool account.',
		},
	];

	authenticate: IAuthenticateGeneric = credentialAuthentication('akool');

	test: ICredentialTestRequest = credentialTest('akool');
}
