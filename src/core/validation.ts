import type { z } from 'zod';

/** One readable sentence per zod issue, naming the field and what to do. */
export function formatZodError(error: z.ZodError, providerLabel?: string): string {
  return error.issues
    .map((issue) => {
      const field = issue.path.join('.');
      if (issue.code === 'unrecognized_keys') {
        const keys = (issue as { keys?: string[] }).keys ?? [];
        return `${keys.map((k) => `"${k}"`).join(', ')} ${keys.length > 1 ? 'are not options' : 'is not an option'}${providerLabel ? ` for ${providerLabel}` : ''}: remove ${keys.length > 1 ? 'them' : 'it'}`;
      }
      const msg = issue.message;
      if (!field || msg.startsWith(field)) return msg;
      return `${field}: ${msg}`;
    })
    .join('; ');
}

/** The object without its undefined and '' values (hosts send empty fields for "not set"). */
export function stripEmpty<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined && v !== '')) as T;
}
