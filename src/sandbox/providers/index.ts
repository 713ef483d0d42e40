import type { ProviderId } from '../types';
import { akool } from './akool';
import { chamelaion } from './chamelaion';
import type { ProviderWire } from './common';
import { fishAudioOpen } from './fishaudio-open';
import { fishAudioV1 } from './fishaudio-v1';
import { joggai } from './joggai';

/** The five wire formats, by provider id. */
export const WIRES: Record<ProviderId, ProviderWire> = {
  'fishaudio-open': fishAudioOpen,
  'fishaudio-v1': fishAudioV1,
  akool,
  chamelaion,
  joggai,
};

/** The provider whose prefix starts this path, and the rest of the path. */
export function mountedAt(pathname: string): { wire: ProviderWire; path: string } | undefined {
  for (const wire of Object.values(WIRES)) {
    if (pathname === wire.prefix || pathname.startsWith(`${wire.prefix}/`)) return { wire, path: pathname.slice(wire.prefix.length) || '/' };
  }
  return undefined;
}
