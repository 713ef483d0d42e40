import { createCipheriv, createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { ERROR_CODES, LipSyncError, safeText, safeToken } from '../../core/errors';
import { firstNumber, firstString, mapStatus } from '../../core/provider';
import type { JobStatus, LipSyncJob } from '../../core/types';
import { asRecord } from '../common';

/**
 * Akool webhook callbacks (providers.md C, docs.akool.com/ai-tools-suite/webhook):
 *   body = { signature, dataEncrypt, timestamp, nonce }
 *   signature = sha1(sort([clientId, timestamp, nonce, dataEncrypt]).join('')) as lowercase hex
 *   dataEncrypt = base64(AES-CBC(JSON, key = clientSecret (the API key), iv = clientId), PKCS#7)
 */

export interface AkoolCallbackBody {
  signature: string;
  dataEncrypt: string;
  timestamp: number | string;
  nonce: string;
}

export interface AkoolCallbackSecrets {
  clientId: string;
  /** The API key (Akool: "the same value as your previous clientSecret"). */
  clientSecret: string;
}

export interface VerifyOptions {
  /** Callbacks older (or further in the future) than this are refused. Default 15 minutes. */
  maxAgeMs?: number;
  now?: number;
}

const STATUS: Record<string, JobStatus> = { '1': 'queued', '2': 'processing', '3': 'completed', '4': 'failed' };

export function akoolSignature(clientId: string, timestamp: number | string, nonce: string, dataEncrypt: string): string {
  const parts = [clientId, String(timestamp), String(nonce), dataEncrypt].sort();
  return createHash('sha1').update(parts.join('')).digest('hex');
}

function cipherParts(secrets: AkoolCallbackSecrets) {
  const key = Buffer.from(secrets.clientSecret, 'utf8');
  const algorithm = key.length === 16 ? 'aes-128-cbc' : key.length === 24 ? 'aes-192-cbc' : key.length === 32 ? 'aes-256-cbc' : undefined;
  if (!algorithm) {
    throw new LipSyncError(ERROR_CODES.INVALID_INPUT, `The Akool client secret (API key) must be 16, 24 or 32 characters to decrypt callbacks; this one has ${key.length}`, {
      provider: 'akool',
      field: 'apiKey',
    });
  }
  // Older client ids are longer than an AES block; like CryptoJS, use the first 16 bytes as the IV.
  const iv = Buffer.alloc(16);
  Buffer.from(secrets.clientId, 'utf8').copy(iv, 0, 0, 16);
  return { algorithm, key, iv };
}

/** Encrypts and signs a payload the way Akool does (used by the sandbox and by tests). */
export function encryptAkoolCallback(payload: unknown, secrets: AkoolCallbackSecrets, timestamp: number, nonce: string): AkoolCallbackBody {
  const { algorithm, key, iv } = cipherParts(secrets);
  const cipher = createCipheriv(algorithm, key, iv);
  const dataEncrypt = Buffer.concat([cipher.update(JSON.stringify(payload), 'utf8'), cipher.final()]).toString('base64');
  return { signature: akoolSignature(secrets.clientId, timestamp, nonce, dataEncrypt), dataEncrypt, timestamp, nonce };
}

function refuse(reason: string): LipSyncError {
  return new LipSyncError(ERROR_CODES.AUTH_FAILED, `Akool callback refused: ${reason}`, { provider: 'akool' });
}

/**
 * Checks the signature (constant time) and the timestamp, decrypts, and returns the normalized job.
 * Throws AUTH_FAILED for anything forged, tampered or stale; nothing is decrypted before the signature matched.
 */
export function verifyAkoolCallback(body: unknown, secrets: AkoolCallbackSecrets, options: VerifyOptions = {}): LipSyncJob {
  const b = asRecord(body);
  const signature = firstString(b.signature);
  const dataEncrypt = firstString(b.dataEncrypt);
  const timestamp = firstNumber(b.timestamp);
  const nonce = b.nonce === undefined || b.nonce === null ? undefined : String(b.nonce);
  if (!signature || !dataEncrypt || timestamp === undefined || nonce === undefined) {
    throw refuse('the body must have signature, dataEncrypt, timestamp and nonce');
  }
  if (!secrets.clientId) throw new LipSyncError(ERROR_CODES.INVALID_INPUT, 'Set the Akool client id to verify callbacks', { provider: 'akool', field: 'clientId' });
  const expected = Buffer.from(akoolSignature(secrets.clientId, String(b.timestamp), nonce, dataEncrypt), 'utf8');
  const given = Buffer.from(signature.toLowerCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw refuse('the signature does not match');

  const now = options.now ?? Date.now();
  const maxAge = options.maxAgeMs ?? 15 * 60_000;
  const ms = timestamp < 1e11 ? timestamp * 1000 : timestamp;
  if (Math.abs(now - ms) > maxAge) throw refuse(`the timestamp is ${Math.round(Math.abs(now - ms) / 1000)} s away from now (stale or replayed)`);

  let plain: string;
  try {
    const { algorithm, key, iv } = cipherParts(secrets);
    const decipher = createDecipheriv(algorithm, key, iv);
    const isHex = /^[0-9a-f]+$/i.test(dataEncrypt) && dataEncrypt.length % 2 === 0;
    plain = Buffer.concat([decipher.update(Buffer.from(dataEncrypt, isHex ? 'hex' : 'base64')), decipher.final()]).toString('utf8');
  } catch (e) {
    if (LipSyncError.is(e)) throw e;
    throw refuse('dataEncrypt could not be decrypted with this client id and secret');
  }
  let data: Record<string, unknown>;
  try {
    data = asRecord(JSON.parse(plain));
  } catch {
    throw refuse('the decrypted data is not JSON');
  }
  const id = firstString(data._id, data.id);
  if (!id) throw refuse('the decrypted data has no _id');
  const status = mapStatus(STATUS, data.status);
  return {
    id,
    provider: 'akool',
    status,
    providerStatus: firstNumber(data.status),
    resultUrl: status === 'completed' ? firstString(data.url, data.video) : undefined,
    creditsUsed: firstNumber(data.deduction_credit),
    error:
      status === 'failed'
        ? {
            code: safeToken(firstString(data.error_code), [secrets.clientSecret, secrets.clientId]) ?? 'failed',
            message: safeText(firstString(data.error_reason, data.msg) ?? 'The provider gave no reason', [secrets.clientSecret, secrets.clientId], 1_000),
          }
        : undefined,
    raw: data,
  };
}

/** The one answer every refused callback gets: it says nothing about which check failed (no oracle). */
export const CALLBACK_REFUSED = { status: 401, body: { error: 'callback refused' } } as const;

/** Callback bodies larger than this are refused with 413 before they are parsed (Akool's are a few KB). */
export const CALLBACK_BODY_LIMIT = 64 * 1024;

/**
 * The replay guard's key for a verified callback: a hash of the timestamp (as a number), the nonce and the
 * ciphertext's bytes, so re-casing the signature, re-typing the timestamp or re-encoding the ciphertext does not
 * make a replay look new. Both hosts key their guards on this.
 */
export function akoolCallbackKey(body: unknown): string {
  const b = asRecord(body);
  const dataEncrypt = firstString(b.dataEncrypt) ?? '';
  const isHex = /^[0-9a-f]+$/i.test(dataEncrypt) && dataEncrypt.length % 2 === 0;
  const bytes = Buffer.from(dataEncrypt, isHex ? 'hex' : 'base64');
  return createHash('sha256')
    .update(`${firstNumber(b.timestamp) ?? ''}\n${String(b.nonce ?? '')}\n`)
    .update(bytes)
    .digest('hex');
}

/** Remembers recently accepted callbacks (by {@link akoolCallbackKey}) so a replay is refused. Memory bounded by `max`. */
export class ReplayGuard {
  private seen = new Map<string, number>();
  constructor(
    private readonly ttlMs = 30 * 60_000,
    private readonly max = 10_000,
  ) {}

  /** True the first time a key is seen within the TTL. */
  accept(key: string, now = Date.now()): boolean {
    for (const [k, at] of this.seen) {
      if (now - at <= this.ttlMs && this.seen.size <= this.max) break;
      this.seen.delete(k);
    }
    if (this.seen.has(key)) return false;
    this.seen.set(key, now);
    return true;
  }
}
