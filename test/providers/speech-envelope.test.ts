import { describe, expect, it } from 'vitest';
import type { ParsedResponse } from '../../src/core/provider';
import { fishAudioOpenSpeech } from '../../src/providers/fishaudio-open-speech';
import { fishAudioV1Speech } from '../../src/providers/fishaudio-v1-speech';

/**
 * The Fish Audio speech answers are documented bare; the lip-sync paths of the same API wrap theirs in
 * `{ success, data }`. A user whose account answers wrapped must see the same voices as one answered bare.
 */
const answer = (json: unknown): ParsedResponse => ({ status: 200, headers: { 'content-type': 'application/json' }, json, text: JSON.stringify(json) });
const wrapped = (data: unknown) => ({ success: true, data });

describe('Fish Audio open surface', () => {
  const list = { total: 2, page: 1, pageSize: 20, totalPages: 1, items: [{ modelId: 'm-1', title: 'Anna' }, { modelId: 'm-2', title: 'Ben' }] };

  it('lists the same voices from a bare and from an enveloped list', () => {
    for (const body of [list, wrapped(list)]) {
      const r = fishAudioOpenSpeech.parseListVoices(answer(body), { page: 1, limit: 20 });
      expect(r.voices.map((v) => [v.id, v.name])).toEqual([['m-1', 'Anna'], ['m-2', 'Ben']]);
      expect(r.total).toBe(2);
      expect(r.hasMore).toBe(false);
    }
  });

  it('reads a cloned voice bare or enveloped; an answer with no modelId is a provider fault', () => {
    for (const body of [{ modelId: 'm-9', title: 'Mine' }, wrapped({ modelId: 'm-9', title: 'Mine' })]) {
      expect(fishAudioOpenSpeech.parseCloneVoice(answer(body), {} as never)).toMatchObject({ id: 'm-9', name: 'Mine', personal: true });
    }
    expect(() => fishAudioOpenSpeech.parseCloneVoice(answer(wrapped({ title: 'no id' })), {} as never)).toThrow(/Unexpected voice clone response: modelId/);
  });
});

describe('Fish Audio v1 surface', () => {
  const list = { total: 1, page: 1, pageSize: 20, totalPages: 2, items: [{ id: 'v-1', name: 'Cara' }] };

  it('lists the same voices from a bare and from an enveloped list', () => {
    for (const body of [list, wrapped(list)]) {
      const r = fishAudioV1Speech.parseListVoices(answer(body), { page: 1, limit: 20 });
      expect(r.voices.map((v) => [v.id, v.name])).toEqual([['v-1', 'Cara']]);
      expect(r.hasMore).toBe(true);
    }
  });

  it('reads a speech job bare or enveloped, keeping its id and status', () => {
    for (const body of [{ id: 'j-1', status: 'queued' }, wrapped({ id: 'j-1', status: 'queued' })]) {
      expect(fishAudioV1Speech.parseSpeechJob!(answer(body))).toMatchObject({ id: 'j-1', status: 'queued' });
    }
  });
});
