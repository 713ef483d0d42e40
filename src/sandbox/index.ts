/** The sandbox: a loopback server that speaks the five providers' wire formats, for tests, demos and offline flows. */
export { startSandbox } from './server';
export { SANDBOX_PROVIDERS, FAULT_KINDS } from './types';
export { SANDBOX_AKOOL_CLIENT_ID } from './callbacks';
export type {
  ProviderId,
  FaultKind,
  FaultSpec,
  FaultConfig,
  RateLimitRule,
  SandboxOptions,
  RecordedRequest,
  SandboxJob,
  SandboxJobStatus,
  Sandbox,
  AkoolCallbackOptions,
  SentCallback,
  CallbackAttempt,
  ManualCallback,
} from './types';
