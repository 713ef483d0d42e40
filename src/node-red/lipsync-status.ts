import { accountOf, asError, jobIdOf, missingJobId, withError, withJob } from './lib/messages';
import type { NodeAPI, NodeDef, NodeStatus, RedNode } from './lib/red-types';
import { errorStatus } from './lib/status';

interface StatusDef extends NodeDef {
  account: string;
}

const FILL: Record<string, NodeStatus> = {
  queued: { fill: 'blue', shape: 'ring' },
  processing: { fill: 'blue', shape: 'dot' },
  completed: { fill: 'green', shape: 'dot' },
  failed: { fill: 'red', shape: 'ring' },
};

/** Job status: one status request for msg.jobId (or msg.payload.id, or a text msg.payload); msg.payload becomes the normalized job. */
export = function register(RED: NodeAPI): void {
  function LipsyncStatus(this: RedNode, def: StatusDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const inFlight = new Set<AbortController>();

    node.on('input', (msg, send, done) => {
      const jobId = jobIdOf(msg);
      const controller = new AbortController();
      inFlight.add(controller);
      Promise.resolve()
        .then(() => {
          if (!jobId) throw missingJobId();
          return accountOf(RED, def.account).getClient().getJob(jobId, { signal: controller.signal });
        })
        .then(
          (job) => {
            node.status({ ...FILL[job.status], text: RED._(`lipsync.status.${job.status}`) });
            send(withJob(msg, job));
            done();
          },
          (error: unknown) => {
            if (controller.signal.aborted) return done();
            withError(msg, error, jobId);
            node.status(errorStatus((key, vars) => RED._(key, vars), error, 'lipsync.status.error'));
            done(asError(error, jobId));
          },
        )
        .finally(() => inFlight.delete(controller));
    });

    node.on('close', (_removed, done) => {
      for (const c of inFlight) c.abort(new Error(RED._('lipsync.errors.closed')));
      node.status({});
      done();
    });
  }

  RED.nodes.registerType('lipsync-status', LipsyncStatus);
};
