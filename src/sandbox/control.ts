import { json, type WireResponse } from './http';
import { asObject } from './providers/common';
import { SANDBOX_PROVIDERS, type FaultConfig, type FaultSpec, type ManualCallback, type ProviderId, type Sandbox } from './types';

/**
 * The control API, for processes that cannot call the JS API (the n8n CLI, a Node-RED child process):
 *   GET  /__sandbox                  base URLs of the providers
 *   POST /__sandbox/faults           a FaultSpec to queue, or { config: FaultConfig | null } to replace the fault state
 *   POST /__sandbox/reset            no jobs, requests, uploads or faults
 *   GET  /__sandbox/requests         recorded requests (?provider= to filter)
 *   GET  /__sandbox/jobs             jobs in the common vocabulary (?provider= to filter)
 *   POST /__sandbox/job-duration     { ms }: the duration of jobs created from now on
 *   GET  /__sandbox/callbacks        Akool callbacks sent, with their attempts
 *   POST /__sandbox/akool-callback   a ManualCallback ({ jobId, status?, forged?, timestamp?, replay?, url? }): sent once, now
 */
export function control(sandbox: Sandbox, method: string, path: string, query: URLSearchParams, body: unknown): WireResponse | Promise<WireResponse> {
  const provider = query.get('provider') as ProviderId | null;
  if (provider && !SANDBOX_PROVIDERS.includes(provider)) return json(400, { error: `provider must be one of: ${SANDBOX_PROVIDERS.join(', ')}` });
  const route = `${method} ${path.replace(/\/+$/, '')}`;
  try {
    switch (route) {
      case 'GET /__sandbox':
        return json(200, { url: sandbox.url, providers: Object.fromEntries(SANDBOX_PROVIDERS.map((p) => [p, sandbox.baseUrl(p)])) });
      case 'POST /__sandbox/faults': {
        const spec = asObject(body);
        if (spec && 'config' in spec) sandbox.setFaults((spec.config ?? undefined) as FaultConfig | undefined);
        else if (spec && 'kind' in spec) sandbox.injectFault(spec as unknown as FaultSpec);
        else return json(400, { error: 'send a FaultSpec ({ kind, ... }) or { config: FaultConfig | null }' });
        return json(200, { ok: true });
      }
      case 'POST /__sandbox/reset':
        sandbox.reset();
        return json(200, { ok: true });
      case 'GET /__sandbox/requests':
        return json(200, { requests: sandbox.requests.filter((r) => !provider || r.provider === provider) });
      case 'GET /__sandbox/jobs':
        return json(200, { jobs: sandbox.listJobs(provider ?? undefined) });
      case 'POST /__sandbox/job-duration': {
        const ms = asObject(body)?.ms;
        if (typeof ms !== 'number') return json(400, { error: 'send { "ms": <number> }' });
        sandbox.setJobDuration(ms);
        return json(200, { ok: true, ms });
      }
      case 'GET /__sandbox/callbacks':
        return json(200, { callbacks: sandbox.callbacks });
      case 'POST /__sandbox/akool-callback':
        return sandbox.sendAkoolCallback((asObject(body) ?? {}) as ManualCallback).then(
          (sent) => json(200, sent),
          (e: Error) => json(400, { error: e.message }),
        );
      default:
        return json(404, { error: `no control route ${route}` });
    }
  } catch (e) {
    return json(400, { error: (e as Error).message });
  }
}
