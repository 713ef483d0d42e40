import { ERROR_CODES, LipSyncError } from './errors';
import type { ProviderId } from './types';

/**
 * Media given as bytes (n8n binary data, a Node-RED Buffer) rather than a URL. The core sniffs the container from
 * the bytes, reads duration and frame rate where it can, and refuses what the provider documents it will reject.
 */
export interface BinaryMedia {
  data: Uint8Array;
  filename?: string;
  /** As declared by the host; the sniffed type wins when the bytes say otherwise. */
  contentType?: string;
}

export interface MediaInfo {
  container: 'mp4' | 'mov' | 'm4a' | 'webm' | 'wav' | 'mp3' | 'ogg' | 'flac' | 'unknown';
  contentType: string;
  kind: 'video' | 'audio' | 'unknown';
  size: number;
  durationSeconds?: number;
  fps?: number;
  hasVideoTrack?: boolean;
  hasAudioTrack?: boolean;
}

export interface MediaLimits {
  maxBytes?: number;
  maxDurationSeconds?: number;
  maxFps?: number;
  containers?: MediaInfo['container'][];
  /** The video must carry a sound track (Akool 1203). */
  requireAudioTrack?: boolean;
}

const EXT: Record<MediaInfo['container'], string> = {
  mp4: 'mp4', mov: 'mov', m4a: 'm4a', webm: 'webm', wav: 'wav', mp3: 'mp3', ogg: 'ogg', flac: 'flac', unknown: 'bin',
};

export function extensionFor(info: MediaInfo): string {
  return EXT[info.container];
}

/** Reads container, duration and frame rate from the first bytes (MP4/MOV/M4A boxes, WAV header). */
export function inspectMedia(bytes: Uint8Array): MediaInfo {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = b.length;
  const ascii = (at: number, n: number) => b.toString('latin1', at, at + n);
  if (size >= 12 && ascii(4, 4) === 'ftyp') {
    const brand = ascii(8, 4);
    const mp4 = readMp4(b);
    const container = brand === 'qt  ' ? 'mov' : brand.startsWith('M4A') || (!mp4.hasVideoTrack && mp4.hasAudioTrack) ? 'm4a' : 'mp4';
    const kind = mp4.hasVideoTrack ? 'video' : mp4.hasAudioTrack ? 'audio' : container === 'm4a' ? 'audio' : 'video';
    const contentType = container === 'mov' ? 'video/quicktime' : kind === 'audio' ? 'audio/mp4' : 'video/mp4';
    return { container, contentType, kind, size, ...mp4 };
  }
  if (size >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WAVE') return { container: 'wav', contentType: 'audio/wav', kind: 'audio', size, durationSeconds: wavDuration(b) };
  if (size >= 4 && b.readUInt32BE(0) === 0x1a45dfa3) return { container: 'webm', contentType: 'video/webm', kind: 'video', size };
  if (size >= 3 && (ascii(0, 3) === 'ID3' || (b[0] === 0xff && (b[1]! & 0xe0) === 0xe0))) return { container: 'mp3', contentType: 'audio/mpeg', kind: 'audio', size };
  if (size >= 4 && ascii(0, 4) === 'OggS') return { container: 'ogg', contentType: 'audio/ogg', kind: 'audio', size };
  if (size >= 4 && ascii(0, 4) === 'fLaC') return { container: 'flac', contentType: 'audio/flac', kind: 'audio', size };
  return { container: 'unknown', contentType: 'application/octet-stream', kind: 'unknown', size };
}

function wavDuration(b: Buffer): number | undefined {
  let byteRate: number | undefined;
  for (let at = 12; at + 8 <= b.length; ) {
    const id = b.toString('latin1', at, at + 4);
    const len = b.readUInt32LE(at + 4);
    if (id === 'fmt ' && at + 16 <= b.length) byteRate = b.readUInt32LE(at + 16);
    if (id === 'data') return byteRate ? Math.min(len, b.length - at - 8) / byteRate : undefined;
    at += 8 + len + (len % 2);
  }
  return undefined;
}

interface Mp4Facts {
  durationSeconds?: number;
  fps?: number;
  hasVideoTrack?: boolean;
  hasAudioTrack?: boolean;
}

/** Walks moov → mvhd / trak(mdia: hdlr, mdhd, minf/stbl/stts) for duration and video frame rate. */
function readMp4(b: Buffer): Mp4Facts {
  const facts: Mp4Facts = { hasVideoTrack: false, hasAudioTrack: false };
  const boxes = (start: number, end: number, visit: (type: string, body: number, bodyEnd: number) => void) => {
    for (let at = start; at + 8 <= end; ) {
      let len = b.readUInt32BE(at);
      const type = b.toString('latin1', at + 4, at + 8);
      let header = 8;
      if (len === 1 && at + 16 <= end) {
        len = Number(b.readBigUInt64BE(at + 8));
        header = 16;
      } else if (len === 0) len = end - at;
      if (len < header) return;
      visit(type, at + header, Math.min(end, at + len));
      at += len;
    }
  };
  const fullBoxTime = (body: number) => {
    const version = b[body]!;
    return version === 1
      ? { timescale: b.readUInt32BE(body + 20), duration: Number(b.readBigUInt64BE(body + 24)) }
      : { timescale: b.readUInt32BE(body + 12), duration: b.readUInt32BE(body + 16) };
  };
  boxes(0, b.length, (type, body, end) => {
    if (type !== 'moov') return;
    boxes(body, end, (t, tb, te) => {
      if (t === 'mvhd' && tb + 20 <= te) {
        const { timescale, duration } = fullBoxTime(tb);
        if (timescale > 0) facts.durationSeconds = duration / timescale;
      }
      if (t !== 'trak') return;
      let handler = '';
      let trackSeconds: number | undefined;
      let samples = 0;
      boxes(tb, te, (mt, mb, me) => {
        if (mt !== 'mdia') return;
        boxes(mb, me, (xt, xb, xe) => {
          if (xt === 'hdlr' && xb + 12 <= xe) handler = b.toString('latin1', xb + 8, xb + 12);
          if (xt === 'mdhd' && xb + 20 <= xe) {
            const { timescale, duration } = fullBoxTime(xb);
            if (timescale > 0) trackSeconds = duration / timescale;
          }
          if (xt === 'minf')
            boxes(xb, xe, (nt, nb, ne) => {
              if (nt === 'stbl')
                boxes(nb, ne, (st, sb, se) => {
                  if (st === 'stts' && sb + 8 <= se) {
                    const entries = b.readUInt32BE(sb + 4);
                    for (let i = 0; i < entries && sb + 8 + i * 8 + 8 <= se; i++) samples += b.readUInt32BE(sb + 8 + i * 8);
                  }
                });
            });
        });
      });
      if (handler === 'vide') {
        facts.hasVideoTrack = true;
        if (trackSeconds && samples) facts.fps = Math.round((samples / trackSeconds) * 100) / 100;
      }
      if (handler === 'soun') facts.hasAudioTrack = true;
    });
  });
  return facts;
}

const MB = 1024 * 1024;
/** A byte count as people read it in a message: "4 MB", "64 KB", "512 bytes". */
export function formatBytes(n: number): string {
  return n >= MB ? `${Math.round((n / MB) * 10) / 10} MB` : n >= 1024 ? `${Math.round(n / 1024)} KB` : `${n} bytes`;
}

/** Throws a clear error when the media breaks a documented limit; returns what was read from the bytes. */
export function checkMedia(media: BinaryMedia, role: 'video' | 'audio', limits: MediaLimits | undefined, provider: ProviderId, providerLabel: string): MediaInfo {
  const info = inspectMedia(media.data);
  const field = role;
  const fail = (reason: string) => new LipSyncError(ERROR_CODES.MEDIA_UNPROCESSABLE, `${field}: ${reason}`, { provider, field });
  if (info.size === 0) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `${field}: the file is empty`, { provider, field });
  if (role === 'video' && info.kind === 'audio') throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `${field}: this is an audio file (${info.container}); give the video here and the audio as the audio input`, { provider, field });
  if (role === 'audio' && info.kind === 'video' && info.hasAudioTrack === false) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `${field}: this is a video without sound; give an audio file`, { provider, field });
  if (!limits) return info;
  if (limits.containers && info.container !== 'unknown' && !limits.containers.includes(info.container)) {
    throw fail(`${providerLabel} does not take ${info.container.toUpperCase()} ${role}; use ${limits.containers.map((c) => c.toUpperCase()).join(', ')}`);
  }
  if (limits.maxBytes && info.size > limits.maxBytes) throw fail(`${formatBytes(info.size)} is over ${providerLabel}'s limit of ${formatBytes(limits.maxBytes)}`);
  if (limits.maxDurationSeconds && info.durationSeconds && info.durationSeconds > limits.maxDurationSeconds) {
    throw fail(`${Math.round(info.durationSeconds * 10) / 10} s is longer than ${providerLabel}'s limit of ${limits.maxDurationSeconds} s`);
  }
  if (limits.maxFps && info.fps && info.fps > limits.maxFps) throw fail(`${info.fps} fps is over ${providerLabel}'s limit of ${limits.maxFps} fps`);
  if (limits.requireAudioTrack && info.hasAudioTrack === false) throw fail(`${providerLabel} needs a video that has a sound track; this one has none`);
  return info;
}
