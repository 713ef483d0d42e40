import { ERROR_CODES, LipSyncError, type SpeakInput, type SpeechResult } from '../index';
import { cachedTranslate } from './lib/i18n';
import { accountOf } from './lib/messages';
import { oneRequestPerMessage } from './lib/oneshot';
import type { AccountNode, NodeAPI, NodeDef, RedNode } from './lib/red-types';

interface SpeechDef extends NodeDef {
  account: string;
  voice?: string;
  format?: string;
  /** 'audio': msg.payload is the audio Buffer; 'url': the provider's audio URL (what a Fish Audio lip-sync create takes). */
  output?: string;
  /** v1 accounts: 'job' uses the async TTS jobs. */
  mode?: string;
  model?: string;
}

/** Text in msg.payload, speech out: the audio Buffer or its URL, made by the account's Fish Audio speech API. */
export = function register(RED: NodeAPI): void {
  function LipsyncSpeech(this: RedNode, def: SpeechDef) {
    RED.nodes.createNode(this, def);
    const node = this;
    const t = cachedTranslate(RED);
    oneRequestPerMessage(
      node,
      t,
      t('lipsync.status.speaking'),
      (msg, signal) => {
        const text = msg.payload;
        if (typeof text !== 'string') {
          throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `msg.payload must be the text to speak (a string), not ${text === undefined ? 'nothing' : Buffer.isBuffer(text) ? 'a Buffer' : typeof text}`, { field: 'msg.payload' });
        }
        const voiceId = typeof msg.voiceId === 'string' && msg.voiceId.trim() ? msg.voiceId.trim() : (def.voice ?? '').trim();
        if (!voiceId) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'No voice: pick one in the node (Voice) or set msg.voiceId (e.g. from a clone voice node)', { field: 'voice' });
        const input: SpeakInput = {
          text,
          voiceId,
          format: (def.format || 'mp3') as SpeakInput['format'],
          output: def.output === 'url' ? 'url' : 'audio',
          mode: def.mode === 'job' ? 'job' : 'sync',
          model: def.model || undefined,
        };
        return accountOf(RED, def.account).getSpeechClient().speak(input, { signal });
      },
      (msg, speech: SpeechResult) => {
        msg.payload = def.output === 'url' ? (speech.url ?? speech.audio) : (speech.audio ?? speech.url);
        msg.audio = { contentType: speech.contentType, format: speech.format, filename: speech.filename, url: speech.url, bytes: speech.audio?.length, charactersUsed: speech.charactersUsed, jobId: speech.jobId };
        // The create node names the bytes after msg.audioFilename.
        msg.audioFilename = speech.filename;
        return t('lipsync.status.spoken', { size: speech.audio ? `${Math.round(speech.audio.length / 1024)} KB` : 'URL' });
      },
    );
  }

  RED.nodes.registerType('lipsync-speech', LipsyncSpeech);

  // The editor's voice list: the voices of a deployed account, loaded with its key on the server side.
  if (RED.httpAdmin && RED.auth) {
    RED.httpAdmin.get('/lipsync-speech/voices/:account', RED.auth.needsPermission('lipsync-speech.read'), (req, res) => {
      const account = RED.nodes.getNode(req.params.account ?? '') as AccountNode | null;
      if (!account || typeof account.getSpeechClient !== 'function') {
        return res.status(404).json({ error: 'Deploy the account first: the voice list is loaded with the deployed account' });
      }
      Promise.resolve()
        .then(() => account.getSpeechClient().listVoices({ limit: 100, search: typeof req.query.search === 'string' ? req.query.search : undefined }))
        .then(
          (list) => res.json({ voices: list.voices.map((v) => ({ id: v.id, name: v.name, personal: v.personal })) }),
          (error: unknown) => res.status(LipSyncError.is(error) && error.code === ERROR_CODES.NOT_SUPPORTED ? 400 : 502).json({ error: (error as Error).message, code: LipSyncError.is(error) ? error.code : undefined }),
        );
    });
  }
};
