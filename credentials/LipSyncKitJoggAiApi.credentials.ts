import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { credentialAuthentication, credentialIcon, credentialProperties, credentialTest } from './shared/lipSyncCredential';

export class LipSyncKitJoggAiApi implements ICredentialType {
	name = 'lipSyncKitJoggAiApi';

	displayName = 'JoggAI Lip Sync API';

	documentationUrl = 'https://www.npmjs.com/package/@lipsync-kit/n8n-nodes-lipsync#credentials';

	icon: Icon = credentialIcon;

	properties: INodeProperties[] = credentialProperties('joggai', 'The API key from the JoggAI developer settings (sent as the x-api-key header)');

	authenticate: IAuthenticateGeneric = credentialAuthentication('joggai');

	test: ICredentialTestRequest = credentialTest('joggai');
}
