import type { IAuthenticateGeneric, IAuthenticateRuleResponseCode, IAuthenticateRuleResponseSuccessBody, ICredentialTestRequest, Icon, INodeProperties } from 'n8n-workflow';
import { ERROR_CODES, getAdapter, type ProviderId } from '../../src';
import { AKOOL_CODES } from '../../src/providers/akool';
import { JOGGAI_CODES } from '../../src/providers/joggai';

export const credentialIcon: Icon = { light: 'file:../icons/lipsync.svg', dark: 'file:../icons/lipsync.dark.svg' };

/** The two fields every provider credential has: the API key (a password field) and the base URL. */
export function credentialProperties(provider: ProviderId, keyHelp: string): INodeProperties[] {
	const adapter = getAdapter(provider);
	return [
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			required: true,
			default: '',
			description: keyHelp,
		},
		{
			displayName: 'Base URL',
			name: 'baseUrl',
			type: 'string',
			default: adapter.defaultBaseUrl,
			description: `The ${adapter.displayName} API address. Change it only for another host of the same API, a proxy, or the lipsync-kit sandbox.`,
			hint: `Include the API's path as in the default (${adapter.defaultBaseUrl}); for the sandbox: http://127.0.0.1:4010/${provider}`,
		},
	];
}

/**
 * Providers that answer a refused key with HTTP 200 and a business code: for them n8n's default check
 * (any 2xx passes) is not enough, so each of their "key refused" codes becomes a rule that fails the test.
 */
const AUTH_CODE_TABLES: Partial<Record<ProviderId, Record<number, { code: string }>>> = { akool: AKOOL_CODES, joggai: JOGGAI_CODES };

/** The credential test: the provider's cheapest authenticated request (the same one the core's checkAuth sends). */
export function credentialTest(provider: ProviderId): ICredentialTestRequest {
	const adapter = getAdapter(provider);
	const check = adapter.buildAuthCheck();
	const test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ ($credentials.baseUrl || "${adapter.defaultBaseUrl}").trim().replace(/\\/+$/, "") }}`,
			url: check.path,
			method: check.method as 'GET',
			...(check.query ? { qs: { ...check.query } as Record<string, string> } : {}),
		},
	};
	// n8n shows only the HTTP reason ("Unauthorized", "Not Found") for a failed test request unless a rule names the
	// status: these say what is wrong and what to change.
	const name = adapter.displayName;
	const rules: Array<IAuthenticateRuleResponseCode | IAuthenticateRuleResponseSuccessBody> = [
		...[401, 403].map(
			(value): IAuthenticateRuleResponseCode => ({
				type: 'responseCode',
				properties: { value, message: `${name} refused the API key (HTTP ${value}). Copy the key again from your ${name} account (the lipsync-kit sandbox takes "sandbox-key").` },
			}),
		),
		{
			type: 'responseCode',
			properties: {
				value: 404,
				message: `Nothing answered at the base URL + ${check.path} (HTTP 404): the base URL must be the ${name} API root with its path, e.g. ${adapter.defaultBaseUrl} (the lipsync-kit sandbox: http://127.0.0.1:4010/${provider}).`,
			},
		},
	];
	const table = AUTH_CODE_TABLES[provider];
	if (table) {
		rules.push(...Object.entries(table)
			.filter(([, mapped]) => mapped.code === ERROR_CODES.AUTH_FAILED)
			.map(
				([code]): IAuthenticateRuleResponseSuccessBody => ({
					type: 'responseSuccessBody',
					properties: { key: 'code', value: Number(code), message: `${adapter.displayName} refused the API key (code ${code}). Copy the key again from your ${adapter.displayName} account.` },
				}),
			));
	}
	// n8n checks each rule by its own type; its typing only allows lists of one kind.
	test.rules = rules as IAuthenticateRuleResponseCode[];
	return test;
}

/** n8n adds the key exactly where the provider adapter puts it (header name and scheme come from the core). */
export function credentialAuthentication(provider: ProviderId): IAuthenticateGeneric {
	const headers = getAdapter(provider).authHeaders('{{$credentials.apiKey}}');
	return { type: 'generic', properties: { headers: Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, `=${value}`])) } };
}
