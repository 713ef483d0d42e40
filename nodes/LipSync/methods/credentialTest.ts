import type { ICredentialsDecrypted, ICredentialTestFunctions, INodeCredentialTestResult } from 'n8n-workflow';
import { checkS3Storage, type Transport } from '../../../src';
import { storageConfigFrom } from '../helpers/utils';

/**
 * The Test button of the S3-compatible storage credential: one SigV4-signed HEAD request on the bucket through
 * n8n's request helper (n8n's generic credential tests cannot sign S3 requests). Nothing is written.
 */
export async function lipSyncKitS3StorageTest(this: ICredentialTestFunctions, credential: ICredentialsDecrypted): Promise<INodeCredentialTestResult> {
	const transport: Transport = async (request) => {
		const response = (await this.helpers.request({
			uri: request.url,
			method: request.method,
			headers: request.headers,
			body: request.body,
			resolveWithFullResponse: true,
			simple: false,
			timeout: request.connectTimeoutMs + request.readTimeoutMs,
		})) as { statusCode: number; headers: Record<string, string>; body?: unknown };
		return { status: response.statusCode, headers: response.headers ?? {}, body: typeof response.body === 'string' ? response.body : '' };
	};
	try {
		await checkS3Storage(storageConfigFrom(credential.data ?? {}), { transport });
		return { status: 'OK', message: 'The bucket is reachable with these keys' };
	} catch (error) {
		return { status: 'Error', message: error instanceof Error ? error.message : String(error) };
	}
}
