import { createCipheriv, createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReplayGuard, akoolSignature, encryptAkoolCallback, verifyAkoolCallback } from '../../src';

const secrets = { clientId: 'AKDt8rWEczpYPzCG', clientSecret: 'abcdefghijklmnopqrstuvwx' }; // 16-byte id, 24-byte secret
const now = 1_710_757_981_609;
const payload = { _id: '66160f989dfc997ac289037b', status: 3, type: 'lipsync', url: 'https://cdn.example/result.mp4' };

describe('Akool callbacks', () => {
  it('verifies, decrypts and normalizes a genuine callback', () => {
    const body = encryptAkoolCallback(payload, secrets, now, '1529');
    expect(body.signature).toMatch(/^[0-9a-f]{40}$/);
    const job = verifyAkoolCallback(body, secrets, { now });
    expect(job).toMatchObject({ id: payload._id, provider: 'akool', status: 'completed', resultUrl: payload.url });
  });

  it('signs the sorted concatenation of clientId, timestamp, nonce and dataEncrypt', () => {
    // sha1("1529" + "1710757981609" + "AKD…" + "Zm9v") with the four values sorted as strings
    const sig = akoolSignature('AKD', 1710757981609, '1529', 'Zm9v');
    expect(sig).toBe(createHash('sha1').update('15291710757981609AKDZm9v').digest('hex'));
  });

  it('refuses a forged signature, a tampered body, the wrong secret and a stale timestamp', () => {
    const body = encryptAkoolCallback(payload, secrets, now, '7');
    expect(() => verifyAkoolCallback({ ...body, signature: 'f'.repeat(40) }, secrets, { now })).toThrow(/signature does not match/);
    expect(() => verifyAkoolCallback({ ...body, dataEncrypt: body.dataEncrypt.replace(/^./, 'A') }, secrets, { now })).toThrow(/signature does not match/);
    expect(() => verifyAkoolCallback({ ...body, nonce: '8' }, secrets, { now })).toThrow(/signature does not match/);
    expect(() => verifyAkoolCallback(body, { ...secrets, clientId: 'BKDt8rWEczpYPzCG' }, { now })).toThrow(/signature does not match/);
    // Same id (so the signature matches) but another secret: decryption fails, nothing is emitted.
    expect(() => verifyAkoolCallback(body, { ...secrets, clientSecret: 'xbcdefghijklmnopqrstuvwx' }, { now })).toThrow(/could not be decrypted|not JSON/);
    expect(() => verifyAkoolCallback(body, secrets, { now: now + 16 * 60_000 })).toThrow(/stale or replayed/);
    expect(() => verifyAkoolCallback({ dataEncrypt: body.dataEncrypt }, secrets, { now })).toThrow(/must have signature/);
  });

  it('accepts hex ciphertext and a 22-character client id (first 16 bytes are the IV)', () => {
    const long = { clientId: 'AKDt8rWEczpYPzCGur2xE=', clientSecret: secrets.clientSecret };
    const cipher = createCipheriv('aes-192-cbc', Buffer.from(long.clientSecret), Buffer.from(long.clientId).subarray(0, 16));
    const hex = Buffer.concat([cipher.update(JSON.stringify({ ...payload, status: 4, error_reason: 'face not found' })), cipher.final()]).toString('hex');
    const body = { signature: akoolSignature(long.clientId, now, '1', hex), dataEncrypt: hex, timestamp: now, nonce: '1' };
    expect(verifyAkoolCallback(body, long, { now })).toMatchObject({ status: 'failed', error: { message: 'face not found' } });
  });

  it('ReplayGuard accepts a signature once', () => {
    const guard = new ReplayGuard(60_000, 3);
    expect(guard.accept('a', 0)).toBe(true);
    expect(guard.accept('a', 10)).toBe(false);
    expect(guard.accept('b', 20)).toBe(true);
    expect(guard.accept('a', 70_000)).toBe(true); // expired entries are forgotten
  });
});
