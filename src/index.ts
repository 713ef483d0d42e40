/** Public entry: the provider core, the provider registry and the sandbox. */
export * from './core';
export { adapters, getAdapter } from './providers';
