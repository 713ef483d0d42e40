import { createHash, randomBytes } from 'node:crypto';

/**
 * The sandbox's speech side (both Fish Audio surfaces share it, as one account would): voices (two presets and
 * the clones made through either API), the audio it synthesized (served at /speech/<id>.wav) and v1 TTS jobs.
 */

export const SPEECH_MAX_TEXT = 10_000;
export const SAMPLE_RATE = 16_000;
/** Per character of text: about 15 characters a second, a calm speaking rate. */
const MS_PER_CHAR = 65;
/** How long a v1 async TTS job takes in the sandbox. */
export const SPEECH_JOB_MS = 1_200;

export interface SandboxVoice {
  id: string;
  name: string;
  description: string;
  personal: boolean;
  createdAt: number;
  samples: number;
}

export interface SpeechJob {
  id: string;
  createdAt: number;
  text: string;
  voiceId: string;
  format: string;
  audioId?: string;
}

const PRESETS: Array<Pick<SandboxVoice, 'id' | 'name' | 'description'>> = [
  { id: 'sandbox-voice-anna', name: 'Anna (sandbox)', description: 'A calm, mid-pitched sandbox voice' },
  { id: 'sandbox-voice-ben', name: 'Ben (sandbox)', description: 'A lower-pitched sandbox voice' },
];

export class SpeechStore {
  private readonly voices = new Map<string, SandboxVoice>();
  private readonly audio = new Map<string, Buffer>();
  private readonly jobs = new Map<string, SpeechJob>();

  constructor() {
    this.clear();
  }

  clear(): void {
    this.voices.clear();
    this.audio.clear();
    this.jobs.clear();
    for (const p of PRESETS) this.voices.set(p.id, { ...p, personal: false, createdAt: Date.UTC(2026, 0, 1), samples: 0 });
  }

  listVoices(): SandboxVoice[] {
    return [...this.voices.values()];
  }

  voice(id: string): SandboxVoice | undefined {
    return this.voices.get(id);
  }

  clone(name: string, description: string, samples: number): SandboxVoice {
    const voice: SandboxVoice = { id: `voice_${randomBytes(8).toString('hex')}`, name, description, personal: true, createdAt: Date.now(), samples };
    this.voices.set(voice.id, voice);
    return voice;
  }

  deleteVoice(id: string): boolean {
    const v = this.voices.get(id);
    if (!v || !v.personal) return false;
    return this.voices.delete(id);
  }

  /** Synthesizes the text in the voice and keeps the WAV; returns its id and bytes. */
  speak(text: string, voiceId: string): { id: string; data: Buffer } {
    const id = randomBytes(10).toString('hex');
    const data = synthesizeWav(text, voiceId);
    this.audio.set(id, data);
    return { id, data };
  }

  audioFile(id: string): Buffer | undefined {
    return this.audio.get(id);
  }

  createJob(text: string, voiceId: string, format: string): SpeechJob {
    const job: SpeechJob = { id: `task_${randomBytes(8).toString('hex')}`, createdAt: Date.now(), text, voiceId, format };
    this.jobs.set(job.id, job);
    return job;
  }

  /** The job's status now; the audio is made when it first completes. */
  viewJob(id: string, now: number): { job: SpeechJob; status: 'queued' | 'processing' | 'completed' } | undefined {
    const job = this.jobs.get(id);
    if (!job) return undefined;
    const elapsed = now - job.createdAt;
    if (elapsed < SPEECH_JOB_MS * 0.2) return { job, status: 'queued' };
    if (elapsed < SPEECH_JOB_MS) return { job, status: 'processing' };
    job.audioId ??= this.speak(job.text, job.voiceId).id;
    return { job, status: 'completed' };
  }
}

/** Audio length for a text, in seconds (what the sandbox's WAV lasts). */
export function speechSeconds(text: string): number {
  return Math.max(0.6, (text.length * MS_PER_CHAR) / 1000);
}

/**
 * A real, decodable WAV (16 kHz, mono, 16-bit PCM) whose length follows the text: each letter a short voiced
 * syllable (a few harmonics under an envelope, pitch from the voice and the letter), spaces and punctuation pauses.
 */
export function synthesizeWav(text: string, voiceId: string): Buffer {
  const seconds = speechSeconds(text);
  const total = Math.round(seconds * SAMPLE_RATE);
  const pcm = Buffer.alloc(total * 2);
  const base = 110 + (createHash('sha256').update(voiceId).digest()[0]! % 90);
  const perChar = Math.max(1, Math.floor(total / Math.max(1, text.length)));
  for (let c = 0; c < text.length; c++) {
    const ch = text[c]!;
    if (!/\p{L}|\p{N}/u.test(ch)) continue;
    const f0 = base * (1 + ((ch.codePointAt(0)! % 7) - 3) * 0.03);
    const start = c * perChar;
    for (let i = 0; i < perChar && start + i < total; i++) {
      const t = i / SAMPLE_RATE;
      const env = Math.sin((Math.PI * i) / perChar);
      const v = 0.5 * Math.sin(2 * Math.PI * f0 * t) + 0.3 * Math.sin(4 * Math.PI * f0 * t) + 0.15 * Math.sin(6 * Math.PI * f0 * t);
      pcm.writeInt16LE(Math.round(v * env * 0.6 * 32767), (start + i) * 2);
    }
  }
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVE', 8, 'latin1');
  header.write('fmt ', 12, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(SAMPLE_RATE, 24);
  header.writeUInt32LE(SAMPLE_RATE * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}

/** A voice sample the providers document: WAV or MP3, told by its first bytes. */
export function isWavOrMp3(data: Buffer): boolean {
  if (data.length >= 12 && data.toString('latin1', 0, 4) === 'RIFF' && data.toString('latin1', 8, 12) === 'WAVE') return true;
  return data.length >= 3 && (data.toString('latin1', 0, 3) === 'ID3' || (data[0] === 0xff && (data[1]! & 0xe0) === 0xe0));
}
