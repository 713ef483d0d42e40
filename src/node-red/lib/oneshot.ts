import { asError, withError } from './messages';
import type { NodeMessage, RedNode } from './red-types';
import type { Translate } from './status';

/**
 * One request per message (speech, clone voice): a ring status while it runs, the message sent on with what
 * `deliver` put on it, errors on msg.error and to Catch nodes; requests in flight are cancelled on close.
 */
export function oneRequestPerMessage<T>(
  node: RedNode,
  t: Translate,
  busyText: string,
  work: (msg: NodeMessage, signal: AbortSignal) => Promise<T>,
  deliver: (msg: NodeMessage, result: T) => string,
): void {
  const inFlight = new Set<AbortController>();
  node.on('input', (msg, send, done) => {
    const controller = new AbortController();
    inFlight.add(controller);
    node.status({ fill: 'blue', shape: 'ring', text: busyText });
    Promise.resolve()
      .then(() => work(msg, controller.signal))
      .then(
        (result) => {
          node.status({ fill: 'green', shape: 'dot', text: deliver(msg, result) });
          send(msg);
          done();
        },
        (error: unknown) => {
          if (controller.signal.aborted) return done();
          withError(msg, error);
          node.status({ fill: 'red', shape: 'dot', text: t('lipsync.status.error') });
          done(asError(error));
        },
      )
      .finally(() => inFlight.delete(controller));
  });
  node.on('close', (_removed, done) => {
    for (const c of inFlight) c.abort(new Error(t('lipsync.errors.closed')));
    node.status({});
    done();
  });
}
