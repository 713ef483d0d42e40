import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { credentialAuthentication, credentialIcon, credentialProperties, credentialTest } from './shared/lipSyncCredential';

export class LipSyncKitFishAudioOpenApi implements ICredentialType {
	name = 'lipSyncKitFishAudioOpenApi';

	displayName = 'Fish Audio Open Lip Sync API';

	documentationUrl = 'https://www.npmjs.com/package/@lipsync-kit/n8n-nodes-lipsync#credentials';

	icon: Icon = credentialIcon;

	properties: INodeProperties[] = credentialProperties('fishaudio-open', 'Your Fish Audio open API key (sent as a Bearer token)');

	authenticate: IAuthenticateGeneric = credentialAuthentication('fishaudio-open');

	test: ICredentialTestRequest = credentialTest('fishaudio-open');
}
