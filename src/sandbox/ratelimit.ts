import type { ProviderId, RateLimitRule } from './types';

/** A sliding window per provider: at most `limit` counted requests in any `windowMs`. */
export class RateLimiter {
  private readonly hits = new Map<ProviderId, number[]>();

  constructor(private readonly rules: Partial<Record<ProviderId, RateLimitRule>> = {}) {
    for (const [provider, rule] of Object.entries(rules)) {
      if (!rule) continue;
      if (!(Number.isInteger(rule.limit) && rule.limit >= 0) || !(rule.windowMs > 0)) throw new TypeError(`rateLimits.${provider} needs a limit >= 0 and a windowMs > 0`);
    }
  }

  /** Counts the request; returns the seconds to wait when it is over the limit (it is then not counted). */
  check(provider: ProviderId, isCreate: boolean, now = Date.now()): number | undefined {
    const rule = this.rules[provider];
    if (!rule || (!isCreate && (rule.on ?? 'create') === 'create')) return undefined;
    const hits = this.hits.get(provider) ?? [];
    this.hits.set(provider, hits);
    while (hits.length > 0 && hits[0]! <= now - rule.windowMs) hits.shift();
    if (hits.length < rule.limit) {
      hits.push(now);
      return undefined;
    }
    const oldest = hits[0] ?? now;
    return Math.max(1, Math.ceil((oldest + rule.windowMs - now) / 1000));
  }

  clear(): void {
    this.hits.clear();
  }
}
