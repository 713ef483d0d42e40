/** Public entry: the provider core, the provider registry and the sandbox. */
export * from './core';
export { adapters, getAdapter, createLipSyncClient, speechAdapters, createSpeechClient } from './registry';
export {
  verifyAkoolCallback,
  encryptAkoolCallback,
  akoolSignature,
  ReplayGuard,
  type AkoolCallbackBody,
  type AkoolCallbackSecrets,
} from './providers/akool/webhook';
