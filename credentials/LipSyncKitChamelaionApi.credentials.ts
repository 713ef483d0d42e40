import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { credentialAuthentication, credentialIcon, credentialProperties, credentialTest } from './shared/lipSyncCredential';

export class LipSyncKitChamelaionApi implements ICredentialType {
	name = 'lipSyncKitChamelaionApi';

	displayName = 'Chamelaion Lip Sync API';

	documentationUrl = 'https://www.npmjs.com/package/@lipsync-kit/n8n-nodes-lipsync#credentials';

	icon: Icon = credentialIcon;

	properties: INodeProperties[] = credentialProperties('chamelaion', 'An API key from the Chamelaion dashboard (sent as a Bearer token)');

	authenticate: IAuthenticateGeneric = credentialAuthentication('chamelaion');

	test: ICredentialTestRequest = credentialTest('chamelaion');
}
