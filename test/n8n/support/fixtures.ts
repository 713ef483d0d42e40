/** Shared pieces of the n8n tests: providers, credential data pointing at a sandbox, node parameters. */
import type { ProviderId, Sandbox } from '../../../src/sandbox/types';

export const PROVIDERS: ProviderId[] = ['akool', 'chamelaion', 'fishaudio-open', 'fishaudio-v1', 'joggai'];
export const LISTING: ProviderId[] = ['chamelaion', 'fishaudio-open', 'fishaudio-v1', 'joggai'];

export const CREDENTIAL_TYPE: Record<ProviderId, string> = {
	akool: 'lipSyncKitAkoolApi',
	chamelaion: 'lipSyncKitChamelaionApi',
	'fishaudio-open': 'lipSyncKitFishAudioOpenApi',
	'fishaudio-v1': 'lipSyncKitFishAudioV1Api',
	joggai: 'lipSyncKitJoggAiApi',
};

/** The header each provider authenticates with, and what n8n must put in it. */
export const AUTH_HEADER: Record<ProviderId, { name: string; value: (key: string) => string }> = {
	akool: { name: 'x-api-key', value: (k) => k },
	chamelaion: { name: 'authorization', value: (k) => `Bearer ${k}` },
	'fishaudio-open': { name: 'authorization', value: (k) => `Bearer ${k}` },
	'fishaudio-v1': { name: 'authorization', value: (k) => `Bearer ${k}` },
	joggai: { name: 'x-api-key', value: (k) => k },
};

export const GOOD_KEY = 'sandbox-key';
/** Long enough to be found in any text it leaks into. */
export const BAD_KEY = 'wrong-key-9f3c2b7d1e';

export function credentialsFor(sandbox: Sandbox, provider: ProviderId, apiKey = GOOD_KEY) {
	return { [CREDENTIAL_TYPE[provider]]: { apiKey, baseUrl: sandbox.baseUrl(provider) } };
}

/** Sample media the sandbox serves, with its test hints (job duration, forced failure). */
export function media(sandbox: Sandbox, hints: { durationMs?: number; fail?: boolean; tag?: string } = {}) {
	const q = new URLSearchParams();
	if (hints.durationMs !== undefined) q.set('sandbox_duration', String(hints.durationMs));
	if (hints.fail) q.set('sandbox_fail', '1');
	if (hints.tag) q.set('tag', hints.tag);
	const query = q.size ? `?${q}` : '';
	return { videoUrl: `${sandbox.url}/media/sample.mp4${query}`, audioUrl: `${sandbox.url}/media/sample.wav` };
}

/** Fast polling for tests: a fixed 50 ms interval instead of the adaptive schedule (seconds). */
export const FAST = { pollIntervalSeconds: 0.05 };

export function params(provider: ProviderId, operation: string, extra: Record<string, unknown> = {}) {
	const { options, ...rest } = extra as { options?: Record<string, unknown> };
	return { provider, resource: 'job', operation, ...rest, options: { ...FAST, ...options } };
}


/** Polls until `check` gives a truthy value (generous: never used to assert a duration). */
export async function until<T>(check: () => T, what: string, ms = 30_000): Promise<NonNullable<T>> {
	const end = Date.now() + ms;
	for (;;) {
		const v = check();
		if (v) return v as NonNullable<T>;
		if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}
