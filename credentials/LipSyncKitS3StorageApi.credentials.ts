import type { ICredentialType, Icon, INodeProperties } from 'n8n-workflow';
import { credentialIcon } from './shared/lipSyncCredential';

/**
 * An S3-compatible bucket (AWS S3, Cloudflare R2, MinIO, …) the Lip Sync node uploads binary media to when the
 * provider takes media only as URLs: the provider gets a presigned GET URL. Requests are SigV4-signed by the
 * package's core (n8n's generic authentication cannot sign them), so this credential has no test request.
 */
export class LipSyncKitS3StorageApi implements ICredentialType {
	name = 'lipSyncKitS3StorageApi';

	displayName = 'Lip Sync Media Storage (S3-Compatible)';

	documentationUrl = 'https://www.npmjs.com/package/@lipsync-kit/n8n-nodes-lipsync#media-bytes-in-video-out';

	icon: Icon = credentialIcon;

	properties: INodeProperties[] = [
		{
			displayName: 'Endpoint',
			name: 'endpoint',
			type: 'string',
			required: true,
			default: '',
			placeholder: 'https://s3.eu-west-1.amazonaws.com',
			description: 'The S3 API address: AWS (https://s3.REGION.amazonaws.com), Cloudflare R2 (https://ACCOUNT.r2.cloudflarestorage.com), MinIO (http://host:9000), …',
		},
		{
			displayName: 'Region',
			name: 'region',
			type: 'string',
			default: 'us-east-1',
			description: 'The bucket\'s region (R2 uses "auto")',
		},
		{
			displayName: 'Bucket',
			name: 'bucket',
			type: 'string',
			required: true,
			default: '',
		},
		{
			displayName: 'Access Key ID',
			name: 'accessKeyId',
			type: 'string',
			required: true,
			default: '',
		},
		{
			displayName: 'Secret Access Key',
			name: 'secretAccessKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
		},
		{
			displayName: 'Key Prefix',
			name: 'prefix',
			type: 'string',
			default: 'lipsync/',
			description: 'Uploaded files are stored under this prefix (a lifecycle rule on it can delete them later)',
		},
		{
			displayName: 'URL Lifetime (Hours)',
			name: 'urlExpiresInHours',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 168 },
			default: 24,
			description: 'How long the presigned URL handed to the provider stays valid: long enough for its queue (at most 168 hours, the SigV4 limit)',
		},
		{
			displayName: 'Virtual-Hosted-Style URLs',
			name: 'virtualHostedStyle',
			type: 'boolean',
			default: false,
			description: 'Whether to address the bucket as BUCKET.host (AWS virtual-hosted style) instead of host/BUCKET (path style, which R2 and MinIO use)',
		},
	];
}
