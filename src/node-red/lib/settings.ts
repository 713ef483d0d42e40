import { DEFAULT_WAIT_TIMEOUT_MS } from '../../core';
import type { WaitSettings } from './waits';

const UNIT_MS: Record<string, number> = { milliseconds: 1, seconds: 1_000, minutes: 60_000, hours: 3_600_000 };

/** The wait settings both the create (with "wait for completion") and the wait node carry. */
export interface WaitDef {
  timeout?: string | number;
  timeoutUnits?: string;
  pollInterval?: string | number;
  store?: string;
  /** 'poll' (default) or 'callback' (Akool callbacks, one status check at the timeout). */
  waitMode?: string;
}

/** Reads the editor's wait fields; blank or invalid values fall back to the defaults (30 minutes, adaptive polling). */
export function waitSettings(def: WaitDef): WaitSettings {
  const timeout = Number(def.timeout);
  const unit = UNIT_MS[def.timeoutUnits ?? 'minutes'] ?? UNIT_MS.minutes!;
  const poll = def.pollInterval === '' || def.pollInterval === undefined ? NaN : Number(def.pollInterval);
  return {
    timeoutMs: Number.isFinite(timeout) && timeout > 0 ? Math.round(timeout * unit) : DEFAULT_WAIT_TIMEOUT_MS,
    pollIntervalMs: Number.isFinite(poll) && poll > 0 ? Math.max(50, Math.round(poll * 1000)) : undefined,
    store: def.store || undefined,
    mode: def.waitMode === 'callback' ? 'callback' : 'poll',
  };
}
