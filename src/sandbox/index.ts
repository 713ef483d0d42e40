/** The sandbox: a loopback server that speaks the five providers' wire formats, for tests, demos and offline flows. */
export { startSandbox } from './server';
export { SANDBOX_PROVIDERS, FAULT_KINDS } from './types';
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
} from './types';
