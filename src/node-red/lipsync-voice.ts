import { ERROR_CODES, LipSyncError, type Voice, type VoiceSample } from '../index';
import { cachedTranslate } from './lib/i18n';
import { accountOf } from './lib/messages';
import { oneRequestPerMessage } from './lib/oneshot';
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
    oneRequestPerMessage(
      node,
      t,
      t('lipsync.status.cloning'),
      (msg, signal) => {
        const name = typeof msg.voiceName === 'string' && msg.voiceName.trim() ? msg.voiceName.trim() : (def.voiceName ?? '').trim();
        if (!name) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'No voice name: set Name of the new voice in the node, or msg.voiceName', { field: 'voiceName' });
        const samples = samplesOf(msg);
        return accountOf(RED, def.account)
          .getSpeechClient()
          .cloneVoice({ name, description: def.description || undefined, visibility: def.visibility === 'public' ? 'public' : 'private', samples }, { signal });
      },
      (msg, voice: Voice) => {
        msg.payload = voice;
        msg.voiceId = voice.id;
        return t('lipsync.status.cloned', { name: voice.name });
      },
    );
  }

  RED.nodes.registerType('lipsync-voice', LipsyncVoice);
};
