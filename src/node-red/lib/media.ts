import { basename } from 'node:path';
import { ERROR_CODES, LipSyncError, type BinaryMedia, type CreateInput } from '../../core';
import { describeSource, evaluate } from './messages';
import type { NodeAPI, NodeMessage, RedNode } from './red-types';

type Role = 'video' | 'audio';

const isBytes = (v: unknown): v is Uint8Array => v instanceof Uint8Array;

/** A Buffer saved by JSON (a flow or global context store, a link through MQTT): `{type: 'Buffer', data: [...]}`. */
function revivedBuffer(v: unknown): Buffer | undefined {
  const o = v as { type?: unknown; data?: unknown } | null;
  return o && typeof o === 'object' && o.type === 'Buffer' && Array.isArray(o.data) ? Buffer.from(o.data as number[]) : undefined;
}

function what(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/**
 * A file name for bytes, from `msg.videoFilename` / `msg.audioFilename`, else from `msg.filename` (what the file-in
 * node sets) when it is the only file of the message. Only a hint: the core sniffs the real type from the bytes.
 */
function filenameFor(msg: NodeMessage, role: Role, onlyFile: boolean): string | undefined {
  const own = msg[`${role}Filename`];
  if (typeof own === 'string' && own.trim()) return basename(own.trim());
  return onlyFile && typeof msg.filename === 'string' && msg.filename.trim() ? basename(msg.filename.trim()) : undefined;
}

/**
 * Reads the video or audio from a typed input: an http(s) URL (text), or the file's bytes (a Buffer, e.g. from a
 * file-in node or a text-to-speech node, or `{data: Buffer, filename?, contentType?}`), for the core's createJob.
 */
export async function readMedia(
  RED: NodeAPI,
  node: RedNode,
  msg: NodeMessage,
  role: Role,
  label: string,
  value: string,
  type: string,
): Promise<unknown> {
  const result = await evaluate(RED, node, msg, value, type);
  const source = describeSource(value, type);
  const field = `${role}Url`;
  if (result === undefined || result === null || (typeof result === 'string' && result.trim() === '')) {
    throw new LipSyncError(
      ERROR_CODES.INVALID_INPUT,
      `${label} is empty: ${source} has no value. Set it to a URL or to the file's bytes (a Buffer), or point the node's ${label} field elsewhere`,
      { field },
    );
  }
  if (typeof result === 'string') return result.trim();
  if (isBytes(result)) return { data: result };
  const revived = revivedBuffer(result);
  if (revived) return { data: revived };
  const o = result as Partial<BinaryMedia> & { data?: unknown };
  if (typeof result === 'object' && !Array.isArray(result) && o.data !== undefined) {
    const data = isBytes(o.data) ? o.data : revivedBuffer(o.data);
    if (data) return { data, filename: typeof o.filename === 'string' ? o.filename : undefined, contentType: typeof o.contentType === 'string' ? o.contentType : undefined };
  }
  throw new LipSyncError(
    ERROR_CODES.INVALID_INPUT,
    `${label} must be an http(s) URL (text) or the file's bytes (a Buffer), but ${source} is ${what(result)}`,
    { field },
  );
}

/** The create input's media part: `videoUrl` / `audioUrl` for text, `video` / `audio` (bytes) for Buffers. */
export function mediaInput(msg: NodeMessage, video: unknown, audio: unknown): Pick<CreateInput, 'videoUrl' | 'audioUrl' | 'video' | 'audio'> {
  const files = [video, audio].filter((v) => typeof v !== 'string').length;
  const one = (role: Role, v: unknown) => {
    if (typeof v === 'string') return { [`${role}Url`]: v };
    const media = v as BinaryMedia;
    return { [role]: { ...media, filename: media.filename ?? filenameFor(msg, role, files === 1) } };
  };
  return { ...one('video', video), ...one('audio', audio) };
}
