import { accountOf, asError, jobIdOf, missingJobId, withError } from './lib/messages';
import type { NodeAPI, NodeDef, NodeMessage, RedNode } from './lib/red-types';
import { type ResultDef, resultDelivery } from './lib/result';
import { type WaitDef, waitSettings } from './lib/settings';
import { Waits } from './lib/waits';
import { nodeRedJournal } from './lib/journal';
import { cachedTranslate } from './lib/i18n';

interface WaitNodeDef extends NodeDef, WaitDef, ResultDef {
  account: string;
}

/** The job a msg.cancel names: `msg.cancel = "<id>"`, or `true` with msg.jobId / msg.payload.id; none = all. */
function cancelTarget(msg: NodeMessage): string | undefined {
  if (typeof msg.cancel === 'string' && msg.cancel.trim() && msg.cancel !== 'all') return msg.cancel.trim();
  return msg.cancel === 'all' ? undefined : jobIdOf(msg);
}

/**
 * Wait for job: polls msg.jobId until the job completes (output 1) or fails, times out or is cancelled
 * (output 2). Several waits run at once; the waits in flight survive a redeploy or restart.
 */
export = function register(RED: NodeAPI): void {
  function LipsyncWait(this: RedNode, def: WaitNodeDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = cachedTranslate(RED);
    const settings = { ...waitSettings(def), deliver: resultDelivery(RED, node, def, () => accountOf(RED, def.account)), journal: nodeRedJournal(RED) };
    const waits = new Waits(node, settings, () => accountOf(RED, def.account), t, () => RED.util.generateId(), (fn) => RED.events.once('flows:started', fn));

    node.on('input', (msg, send, done) => {
      if (msg.cancel !== undefined && msg.cancel !== false && msg.cancel !== null) {
        const target = cancelTarget(msg);
        const n = waits.cancel(target);
        if (n === 0 && target) node.warn(t('lipsync.errors.nothingToCancel', { id: target }));
        return done();
      }
      const jobId = jobIdOf(msg);
      if (!jobId) {
        const error = missingJobId();
        withError(msg, error);
        return done(asError(error));
      }
      waits.start(jobId, msg, send, done);
    });

    node.on('close', (removed, done) => {
      waits.close(removed).then(
        () => done(),
        (e: unknown) => {
          node.error(e);
          done();
        },
      );
    });
  }

  RED.nodes.registerType('lipsync-wait', LipsyncWait);
};
