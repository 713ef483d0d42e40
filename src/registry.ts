import { createLipSyncClientFor, type LipSyncClient, type LipSyncClientOptions } from './core/client';
import { ERROR_CODES, LipSyncError } from './core/errors';
import { SPEECH_PROVIDER_IDS, createSpeechClientFor, type SpeechAdapter, type SpeechClient, type SpeechClientOptions, type SpeechProviderId } from './core/speech';
import type { ProviderAdapter } from './core/provider';
import { PROVIDER_IDS, type ProviderId } from './core/types';
import { akool } from './providers/akool';
import { chamelaion } from './providers/chamelaion';
import { fishAudioOpen } from './providers/fishaudio-open';
import { fishAudioV1 } from './providers/fishaudio-v1';
import { fishAudioOpenSpeech } from './providers/fishaudio-open-speech';
import { fishAudioV1Speech } from './providers/fishaudio-v1-speech';
import { joggai } from './providers/joggai';

/**
 * The provider registry, above the core: the core takes an adapter and never imports `src/providers`; this module
 * picks the adapter for a provider id.
 */

export const adapters: Record<ProviderId, ProviderAdapter> = {
  'fishaudio-open': fishAudioOpen as ProviderAdapter,
  'fishaudio-v1': fishAudioV1 as ProviderAdapter,
  akool: akool as ProviderAdapter,
  chamelaion: chamelaion as ProviderAdapter,
  joggai: joggai as ProviderAdapter,
};

export function getAdapter(provider: ProviderId): ProviderAdapter {
  const adapter = adapters[provider];
  if (!adapter) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `Unknown provider "${provider}": use one of ${PROVIDER_IDS.join(', ')}`, { field: 'provider' });
  return adapter;
}

/** A lip-sync client for one provider account (see README "Using the core from code"). */
export function createLipSyncClient(options: LipSyncClientOptions): LipSyncClient {
  const provider = (options as Partial<LipSyncClientOptions> | undefined)?.provider;
  const adapter = typeof provider === 'string' && Object.hasOwn(adapters, provider) ? adapters[provider] : undefined;
  if (!adapter) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `provider must be one of: ${PROVIDER_IDS.join(', ')}`, { field: 'provider' });
  return createLipSyncClientFor(adapter, options);
}

/** The speech surfaces: the Fish Audio platform's TTS and voices, on the same token as its lip-sync APIs. */
export const speechAdapters: Record<SpeechProviderId, SpeechAdapter> = {
  'fishaudio-open': fishAudioOpenSpeech,
  'fishaudio-v1': fishAudioV1Speech,
};

/** A text-to-speech and voice client for a Fish Audio account (see README "Speech and voices"). */
export function createSpeechClient(options: SpeechClientOptions): SpeechClient {
  const provider = (options as Partial<SpeechClientOptions> | undefined)?.provider;
  const adapter = typeof provider === 'string' && Object.hasOwn(speechAdapters, provider) ? speechAdapters[provider] : undefined;
  if (!adapter) {
    throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `provider must be one of: ${SPEECH_PROVIDER_IDS.join(', ')} (the other providers have no speech API here: bring audio from any TTS)`, {
      field: 'provider',
    });
  }
  return createSpeechClientFor(adapter, options);
}
