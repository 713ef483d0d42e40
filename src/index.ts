/** Public entry: the provider core, the provider registry and the sandbox. */
export * from './core';
export { adapters, getAdapter, createLipSyncClient } from './registry';
export {
  verifyAkoolCallback,
  encryptAkoolCallback,
  akoolSignature,
  ReplayGuard,
  type AkoolCallbackBody,
  type AkoolCallbackSecrets,
} from './providers/akool/webhook';
