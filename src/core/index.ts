export * from './types';
export * from './errors';
export * from './client';
export * from './wait';
export * from './limiter';
export { VirtualClock, realDelay, systemClock } from './time';
export { createUndiciTransport, classifyNetworkError, type UndiciTransport } from './undici-transport';
export { DEFAULT_RETRY, maybeCreated, type RetryPolicy } from './http';
export type { CreateInput, ListQuery, PollHints, RateLimit, ProviderAdapter } from './provider';
