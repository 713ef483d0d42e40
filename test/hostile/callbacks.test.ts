import { createCipheriv, randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReplayGuard, akoolCallbackKey, akoolSignature, encryptAkoolCallback, verifyAkoolCallback } from '../../src';
import { NODE_TYPE, callWebhook, removeUserFolder } from '../n8n/support/engine';
import { startEmbeddedRed, sleep, type EmbeddedRed } from '../node-red/support';

/**
 * Akool callbacks that say nothing: every failed check (bad signature, bad padding, bad JSON, stale, replay) gets
 * the same answer on both hosts, so a sender without the key learns nothing it could decrypt with; a replay is
 * recognised however its signature is cased; a huge body gets 413 and no stack trace.
 */
const KEY = 'hostile-key-0123456789ab'; // 24 characters: an AES-192 key (Akool's client secret is the API key)
const CLIENT_ID = 'AKDt8rWEczpYPzCG';
const secrets = { clientId: CLIENT_ID, clientSecret: KEY };

const now = () => Math.floor(Date.now() / 1000);
const signed = (dataEncrypt: string, ts = now(), nonce = String(Math.random())) => ({ signature: akoolSignature(CLIENT_ID, ts, nonce, dataEncrypt), dataEncrypt, timestamp: ts, nonce });
const encrypt = (plain: Buffer, autoPadding = true) => {
  const iv = Buffer.from(CLIENT_ID, 'utf8').subarray(0, 16);
  const c = createCipheriv('aes-192-cbc', Buffer.from(KEY, 'utf8'), iv);
  c.setAutoPadding(autoPadding);
  return Buffer.concat([c.update(plain), c.final()]).toString('base64');
};
const genuine = (id: string, status = 3) => encryptAkoolCallback({ _id: id, status, type: 'lipsync', url: 'https://cdn.example.com/v.mp4' }, secrets, now(), String(Math.random()));

/** The attacker's probes: each fails a different check, and none may be told apart by the answer. */
const probes = () => ({
  badSignature: { ...genuine('job-x'), signature: 'f'.repeat(40) },
  badPadding: signed(randomBytes(32).toString('base64')), // signed with the (guessable) client id, random ciphertext
  badJson: signed(encrypt(Buffer.from('not json at all'))),
  stale: encryptAkoolCallback({ _id: 'job-y', status: 3 }, secrets, now() - 3600, '1'),
  noFields: { hello: 'world' },
});

describe('the canonical replay key', () => {
  it('is the same for a re-cased signature and a re-typed timestamp, and differs for another callback', () => {
    const body = genuine('job-1');
    const key = akoolCallbackKey(body);
    expect(akoolCallbackKey({ ...body, signature: body.signature.toUpperCase() })).toBe(key);
    expect(akoolCallbackKey({ ...body, timestamp: String(body.timestamp) })).toBe(key);
    expect(akoolCallbackKey(genuine('job-1'))).not.toBe(key);
    // Verification accepts the re-cased signature, so the guard must refuse it as the same callback.
    expect(verifyAkoolCallback({ ...body, signature: body.signature.toUpperCase() }, secrets).id).toBe('job-1');
    const guard = new ReplayGuard();
    expect(guard.accept(key)).toBe(true);
    expect(guard.accept(akoolCallbackKey({ ...body, signature: body.signature.toUpperCase() }))).toBe(false);
  });
});

describe('Node-RED job callback node', () => {
  let red: EmbeddedRed;
  let RED: any;
  let url: string;
  const emitted: unknown[] = [];
  const logs: { level: number; msg: string }[] = [];
  beforeAll(async () => {
    red = await startEmbeddedRed({ httpNodeRoot: '/api', level: 'off' });
    RED = red.RED;
    url = `http://127.0.0.1:${red.port}/api/hostile/akool`;
    RED.hooks.add('onReceive.hostile', (evt: { msg: unknown; destination: { node: { type: string } } }) => {
      if (evt.destination.node?.type === 'debug') emitted.push(evt.msg);
    });
    const handler = new EventEmitter();
    handler.on('log', (m: { level: number; msg: unknown }) => logs.push({ level: m.level, msg: m.msg instanceof Error ? String(m.msg.stack) : typeof m.msg === 'string' ? m.msg : JSON.stringify(m.msg) }));
    RED.log.addHandler(handler);
    const started = new Promise((r) => RED.events.once('flows:started', r));
    await RED.runtime.flows.setFlows({
      flows: {
        flows: [
          { id: 'tab', type: 'tab', label: 'hostile' },
          { id: 'acc', type: 'lipsync-account', provider: 'akool', baseUrl: 'http://127.0.0.1:9/akool', credentials: { apiKey: KEY, clientId: CLIENT_ID } },
          { id: 'cb', type: 'lipsync-callback', z: 'tab', account: 'acc', url: '/hostile/akool', maxAge: 300, wires: [['dbg']] },
          { id: 'dbg', type: 'debug', z: 'tab', active: false, tosidebar: false, console: false, complete: 'true', wires: [] },
        ],
      },
      deploymentType: 'full',
    });
    await started;
  });
  afterAll(() => red?.stop());

  const post = async (body: unknown) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, text: await res.text() };
  };

  it('answers every failed check the same way, and emits nothing', async () => {
    const answers = [];
    for (const probe of Object.values(probes())) answers.push(await post(probe));
    answers.push(await post('{"signature": "x"')); // not JSON
    expect(new Set(answers.map((a) => `${a.status} ${a.text}`))).toEqual(new Set(['401 {"error":"callback refused"}']));
    expect(emitted).toHaveLength(0);
  });

  it('a replay with the signature re-cased is refused the same way; the job is emitted once', async () => {
    emitted.length = 0;
    const body = genuine('job-replay');
    expect((await post(body)).status).toBe(200);
    const again = await post({ ...body, signature: body.signature.toUpperCase() });
    expect(again).toEqual({ status: 401, text: '{"error":"callback refused"}' });
    await sleep(100);
    expect(emitted).toHaveLength(1);
  });

  it('a 300 KB body gets 413, and no stack trace reaches the log', async () => {
    logs.length = 0;
    const big = { ...genuine('job-big'), padding: 'x'.repeat(300 * 1024) };
    const res = await post(big);
    expect(res.status).toBe(413);
    await sleep(50);
    expect(logs.map((l) => l.msg).join('\n')).not.toMatch(/\n\s+at /);
  });
});

describe('n8n: the Lip Sync node resume webhook and the Akool trigger', () => {
  afterAll(removeUserFolder);
  const credentials = { lipSyncKitAkoolApi: { apiKey: KEY, baseUrl: 'http://127.0.0.1:9', clientId: CLIENT_ID } };
  const resume = (body: unknown) =>
    callWebhook({
      nodeType: NODE_TYPE,
      parameters: { provider: 'akool', resource: 'job', operation: 'createAndWait', waitFor: 'callback', options: {} },
      credentials,
      body,
      webhookDescription: { name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '', restartWebhook: true },
    });

  it('answers every failed check the same way, with the reason only in the log', async () => {
    const answers = [];
    for (const probe of Object.values(probes())) answers.push(await resume(probe));
    expect(new Set(answers.map((a) => `${a.status} ${JSON.stringify(a.sent)}`))).toEqual(new Set(['401 {"error":"callback refused"}']));
    for (const a of answers) {
      expect(a.result).toEqual({ noWebhookResponse: true });
      expect(a.warnings).toHaveLength(1);
      expect(a.warnings[0]).not.toContain(KEY);
    }
  });

  it('a replay with the signature re-cased resumes nothing', async () => {
    const body = genuine('job-n8n-replay');
    const first = await resume(body);
    expect(first.result.workflowData?.[0]?.[0]?.json).toMatchObject({ id: 'job-n8n-replay' });
    const again = await resume({ ...body, signature: body.signature.toUpperCase() });
    expect(again.status).toBe(401);
    expect(again.result).toEqual({ noWebhookResponse: true });
  });

  it('a 300 KB body gets 413 and resumes nothing', async () => {
    const res = await resume({ ...genuine('job-n8n-big'), padding: 'x'.repeat(300 * 1024) });
    expect(res.status).toBe(413);
    expect(res.result).toEqual({ noWebhookResponse: true });
  });
});
