import type { NodeAPI } from './red-types';
import type { Translate } from './status';

const MAX_ENTRIES = 2_000;

/**
 * RED._ with a cache: the status line is rebuilt on every poll and tick, and i18next resolves plural rules on each
 * call (the single largest cost per job in the overhead benchmark). Messages are keyed with their substitutions.
 */
export function cachedTranslate(RED: NodeAPI): Translate {
  const cache = new Map<string, string>();
  return (key, vars) => {
    const id = vars ? `${key}\u0000${JSON.stringify(vars)}` : key;
    let text = cache.get(id);
    if (text === undefined) {
      text = RED._(key, vars);
      if (cache.size >= MAX_ENTRIES) cache.clear();
      cache.set(id, text);
    }
    return text;
  };
}
