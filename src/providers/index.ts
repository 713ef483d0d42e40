import { ERROR_CODES, LipSyncError } from '../core/errors';
import type { ProviderAdapter } from '../core/provider';
import { PROVIDER_IDS, type ProviderId } from '../core/types';
import { akool } from './akool';
import { chamelaion } from './chamelaion';
import { fishAudioOpen } from './fishaudio-open';
import { fishAudioV1 } from './fishaudio-v1';
import { joggai } from './joggai';

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
