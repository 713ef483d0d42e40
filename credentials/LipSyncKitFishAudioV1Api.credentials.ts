import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { credentialAuthentication, credentialIcon, credentialProperties, credentialTest } from './shared/lipSyncCredential';

export class LipSyncKitFishAudioV1Api implements ICredentialType {
	name = 'lipSyncKitFishAudioV1Api';

	displayName = 'Fish Audio V1 Lip Sync API';

	documentationUrl = 'https://www.npmjs.com/package/@lipsync-kit/n8n-nodes-lipsync#credentials';

	icon: Icon = credentialIcon;

	properties: INodeProperties[] = credentialProperties('fishaudio-v1', 'Your Fish Audio v1 API key (sent as a Bearer token)');

	authenticate: IAuthenticateGeneric = credentialAuthentication('fishaudio-v1');

	test: ICredentialTestRequest = credentialTest('fishaudio-v1');
}
