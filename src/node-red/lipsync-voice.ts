import { ERROR_CODES, LipSyncError, type VoiceSample } from '../index';
import { cachedTranslate } from './lib/i18n';
import { accountOf, asError, withError } from './lib/messages';
import type { NodeAPI, NodeDef, NodeMessage, RedNode } from './lib/red-types';

interface VoiceDef extends NodeDef {
  account: string;
  voiceName?: string;
  description?: string;
  visibility?: string;
}

/** The recordings of a message: msg.payload as a Buffer, or an array of Buffers. */
function samplesOf(msg: NodeMessage): VoiceSample[] {
  const payload = msg.payload;
  const list = Array.isArray(payload) ? payload : [payload];
  if (list.length === 0 || !list.every((b) => Buffer.isBuffer(b))) {
    throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'msg.payload must be the voice recording as a Buffer (e.g. from a file in node set to "a single Buffer object"), or an array of Buffers', { field: 'msg.payload' });
  }
  const name = typeof msg.filename === 'string' ? msg.filename.split(/[\\/]/).pop() : undefined;
  return (list as Buffer[]).map((data) => ({ data, filename: list.length === 1 && name ? name : undefined }));
}

/** Clones a voice from a recording (sample Buffer in), the new voice's id out in msg.voiceId. */
export = function register(RED: NodeAPI): void {
  function LipsyncVoice(this: RedNode, def: VoiceDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = cachedTranslate(RED);
    const inFlight = new Set<AbortController>();

    node.on('input', (msg, send, done) => {
      const controller = new AbortController();
      inFlight.add(controller);
      node.status({ fill: 'blue', shape: 'ring', text: t('lipsync.status.cloning') });
      Promise.resolve()
        .then(() => {
          const name = typeof msg.voiceName === 'string' && msg.voiceName.trim() ? msg.voiceName.trim() : (def.voiceName ?? '').trim();
          if (!name) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'No voice name: set Name of the new voice in the node, or msg.voiceName', { field: 'voiceName' });
          return accountOf(RED, def.account)
            .getSpeechClient()
            .cloneVoice(
              { name, description: def.description || undefined, visibility: def.visibility === 'public' ? 'public' : 'private', samples: samplesOf(msg) },
              { signal: controller.signal },
            );
        })
        .then(
          (voice) => {
            msg.payload = voice;
            msg.voiceId = voice.id;
            node.status({ fill: 'green', shape: 'dot', text: t('lipsync.status.cloned', { name: voice.name }) });
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

  RED.nodes.registerType('lipsync-voice', LipsyncVoice);
};
