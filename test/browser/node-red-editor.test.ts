// The nodes in Node-RED's real editor, driven in headless Chromium: Node-RED 4 in the default lane, Node-RED 5 in
// the node-red5 lane (LIPSYNC_NODE_RED_DIR). Everything a user does, done by clicking:
//  - every node of the package is in the palette (and the config node is a "lip-sync account");
//  - every example imports from Import > Examples, one after another, without an "already exists" conflict;
//  - the dialog of every node of every example opens, and Done without changes leaves the node valid;
//  - the account is pointed at the sandbox in its own dialog (base URL, key; Akool: client id; storage: a real
//    s3rver), the flow deploys with no warning, each inject button starts its path, and each runs to its end: the
//    status text under the nodes reads as a user sees it ("completed · 3s", "created …", "cloned: …"), and no
//    warning or error reaches the debug sidebar;
//  - the speech node's refresh button lists the deployed account's voices, and the one picked is the one spoken;
//  - an account without an API key is flagged in the editor.
// The examples' sample URLs name the sandbox's default address (127.0.0.1:4010); this test's sandbox runs on a
// free port, so the package the editor loads is the built one with examples pointing at that port (and example
// 07's Webhook URL at this Node-RED's port instead of 1880).
// On failure each story leaves a screenshot under .ci/results/.
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox } from '../../src/sandbox';
import type { Sandbox } from '../../src/sandbox/types';
import { RED_VERSION, ROOT, startEmbeddedRed, type EmbeddedRed } from '../node-red/support';
import { s3Unavailable, startS3, type S3Server } from '../support/s3';
import { browserMissing, inCi, openBrowser, story, type BrowserSession } from './support/browser';

type Node = Record<string, any>;
const MODULE: string = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name;
const EXAMPLE_HOST = 'http://127.0.0.1:4010';
// Example 07 gives Akool the job callback node's address on a Node-RED at its default port (and httpNodeRoot "/").
const EXAMPLE_RED = 'http://127.0.0.1:1880';
// Akool signs and encrypts its callbacks with the API key as an AES key: 16, 24 or 32 characters.
const SANDBOX_KEY = 'sandbox-key-0123456789ab';
const AKOOL_CLIENT_ID = 'AKDt8rWEczpYPzCG';
const STORY_TIMEOUT = 120_000;
const why = browserMissing();
const skip = Boolean(why) && !inCi;
if (skip) console.warn(`[Node-RED editor] skipped: ${why}`);

const examples = readdirSync(join(ROOT, 'examples'))
  .filter((f) => f.endsWith('.json'))
  .sort();
const exampleFlow = (file: string): Node[] => JSON.parse(readFileSync(join(ROOT, 'examples', file), 'utf8'));

let sandbox: Sandbox;
// Example 06 streams the video into the account's S3-compatible storage: a real s3rver.
let s3: S3Server | undefined;
let red: EmbeddedRed;
let session: BrowserSession;
let page: Page;
let pkgDir = '';
let base = '';

/** The package's examples as the editor offers them: naming this sandbox and (example 07's Webhook URL) this Node-RED. */
function writeExamples(redUrl = EXAMPLE_RED): void {
  for (const file of examples) {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8')
      .split(EXAMPLE_HOST)
      .join(sandbox.url)
      .split(EXAMPLE_RED)
      .join(redUrl)
      .replace(/sandbox_duration=\d+/g, 'sandbox_duration=2500');
    writeFileSync(join(pkgDir, 'examples', file), text);
  }
}

beforeAll(async () => {
  if (skip) return;
  if (why) throw new Error(why);
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 1500, akoolClientId: AKOOL_CLIENT_ID });
  if (!s3Unavailable()) s3 = await startS3();
  // The package as Node-RED loads it (package.json, dist/, icons/), with examples that name this sandbox.
  pkgDir = mkdtempSync(join(tmpdir(), 'lipsync-red-pkg-'));
  cpSync(join(ROOT, 'package.json'), join(pkgDir, 'package.json'));
  for (const dir of ['dist', 'icons']) symlinkSync(join(ROOT, dir), join(pkgDir, dir));
  mkdirSync(join(pkgDir, 'examples'));
  writeExamples();
  red = await startEmbeddedRed({
    editor: true,
    httpNodeRoot: '/',
    nodesDir: pkgDir,
    settings: { editorTheme: { tours: false }, telemetry: { enabled: false } },
  });
  base = `http://127.0.0.1:${red.port}`;
  // Node-RED lists the example files at start and reads them at import: now they can name its port too.
  writeExamples(base);
  session = await openBrowser();
  page = session.page;
  await page.goto(`${base}/`);
  await page.locator('#red-ui-palette-container').waitFor({ timeout: 60_000 });
}, 120_000);

afterAll(async () => {
  await session?.close();
  await red?.stop();
  await sandbox?.close();
  await s3?.close();
  if (pkgDir) rmSync(pkgDir, { recursive: true, force: true });
});

const nodeGroup = (id: string) => page.locator(`g.red-ui-flow-node-group[id="${id}"]`);
const statusText = (id: string) => nodeGroup(id).locator('.red-ui-flow-node-status-label').textContent();
const isValid = (id: string) => page.evaluate((nid) => (globalThis as any).RED.nodes.node(nid)?.valid, id);
const editorNode = (id: string) =>
  page.evaluate((nid) => {
    const n = (globalThis as any).RED.nodes.node(nid);
    return n ? { type: n.type, valid: n.valid, errors: n.validationErrors ?? [] } : undefined;
  }, id);

/** Opens a node's edit dialog the way a user does: a double-click on the node (config nodes: from the config sidebar). */
async function openDialog(node: Node): Promise<void> {
  if (node.z) {
    await nodeGroup(node.id).locator('.red-ui-flow-node').first().dblclick();
  } else {
    await page.evaluate((nid) => (globalThis as any).RED.editor.editConfig('', 'lipsync-account', nid), node.id);
  }
  await page.locator('.red-ui-tray-body').last().waitFor();
}

async function done(config = false): Promise<void> {
  await page.locator(config ? '#node-config-dialog-ok' : '#node-dialog-ok').click();
  await page.locator('.red-ui-tray').first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
}

async function importExample(file: string): Promise<void> {
  await page.locator('#red-ui-header-button-sidemenu').click();
  await page.locator('#menu-item-import').click();
  await page.locator('.red-ui-tab', { hasText: 'Examples' }).click();
  const label = (text: string) => page.locator('.red-ui-clipboard-dialog-tabs-content .red-ui-treeList-label:visible', { hasText: text }).first();
  if (!(await label(file.replace(/\.json$/, '')).isVisible())) await label(MODULE).click();
  await label(file.replace(/\.json$/, '')).click();
  await page.locator('#red-ui-clipboard-dialog-ok').click();
  // A conflict ("nodes already exist") would open a second dialog instead of placing the nodes.
  const conflict = page.locator('.red-ui-notification', { hasText: /already exist/i });
  await page.waitForTimeout(300);
  expect(await conflict.count(), `${file}: import conflict`).toBe(0);
  // Each example comes in as its own flow tab: open it.
  const tab = exampleFlow(file).find((n) => n.type === 'tab');
  if (tab) await page.locator('#red-ui-workspace-tabs .red-ui-tab', { hasText: tab.label.slice(0, 12) }).click();
  else await page.mouse.click(700, 500); // place the imported nodes
  await page.keyboard.press('Escape');
}

/** The warnings and errors in the debug sidebar, as their text (Node-RED puts a node's warn and error there). */
const sidebarProblems = () => page.locator('.red-ui-debug-msg-level-30, .red-ui-debug-msg-level-20').allInnerTexts();

async function deploy(): Promise<void> {
  await page.locator('#red-ui-header-button-deploy').click();
  const ok = page.locator('.red-ui-notification', { hasText: /Successfully deployed/i });
  const warning = page.locator('.red-ui-notification', { hasText: /not properly configured|unknown|missing/i });
  await Promise.race([ok.first().waitFor({ timeout: 30_000 }), warning.first().waitFor({ timeout: 30_000 })]);
  if (await warning.count()) throw new Error(`deploy warned: ${await warning.first().innerText()}`);
}

describe.skipIf(skip)(`the nodes in the Node-RED ${RED_VERSION} editor`, () => {
  it('shows every node in the palette, and the account as a "lip-sync account"', async () => {
    await story(session, `node-red-${RED_VERSION}-palette`, async () => {
      const types = await page.locator('.red-ui-palette-node[data-palette-type^="lipsync-"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-palette-type')));
      expect(types.sort()).toEqual(['lipsync-callback', 'lipsync-create', 'lipsync-speech', 'lipsync-status', 'lipsync-voice', 'lipsync-wait']);
      const labels = await page.locator('.red-ui-palette-node[data-palette-type^="lipsync-"] .red-ui-palette-label').allInnerTexts();
      expect(labels.map((l) => l.trim()).sort()).toEqual(['clone voice', 'create job', 'job callback', 'job status', 'speech', 'wait for job']);
      const accountLabel = await page.evaluate(() => {
        const def = (globalThis as any).RED.nodes.getType('lipsync-account');
        return typeof def.paletteLabel === 'function' ? def.paletteLabel.call({ _: def._ }) : def.paletteLabel;
      });
      expect(accountLabel).toBe('lip-sync account');
    });
  }, STORY_TIMEOUT);

  for (const file of examples) {
    it(`${file}: imports from Import > Examples, Done keeps every node valid, deploys with no warning and runs to its end`, async () => {
      await story(session, `node-red-${RED_VERSION}-${file}`, async () => {
        const flow = exampleFlow(file);
        await importExample(file);
        const ours = flow.filter((n) => String(n.type).startsWith('lipsync-'));
        // Imported, the example's account has no API key yet (keys are credentials: never in a flow): the
        // editor flags it. Point it at the sandbox in its own dialog, as a user does.
        const account = flow.find((n) => n.type === 'lipsync-account')!;
        expect(await editorNode(account.id), 'the imported account, without a key').toMatchObject({ valid: false });
        await openDialog(account);
        const provider = await page.locator('#node-config-input-provider').inputValue();
        await page.locator('#node-config-input-baseUrl').fill(sandbox.baseUrl(provider as any));
        await page.locator('#node-config-input-apiKey').fill(SANDBOX_KEY);
        if (provider === 'akool') await page.locator('#node-config-input-clientId').fill(AKOOL_CLIENT_ID);
        if (await page.locator('#node-config-input-storage').isChecked()) {
          if (!s3) throw new Error(`${file} stores the video in S3-compatible storage, and no S3 server can run here: ${s3Unavailable()}`);
          await page.locator('#node-config-input-s3Endpoint').fill(s3.endpoint);
          await page.locator('#node-config-input-s3Bucket').fill(s3.bucket);
          await page.locator('#node-config-input-s3Region').fill('us-east-1');
          await page.locator('#node-config-input-s3AccessKeyId').fill(s3.accessKeyId);
          await page.locator('#node-config-input-s3SecretAccessKey').fill(s3.secretAccessKey);
        }
        await done(true);
        // Every node of ours: open its dialog, press Done without changing anything, still valid.
        for (const node of ours) {
          if (node.z) {
            await openDialog(node);
            await done();
          }
          expect(await editorNode(node.id), `${node.type} ${node.id} after Done`).toEqual(expect.objectContaining({ valid: true }));
        }
        await deploy();
        // What a user would see as going wrong: warnings and errors that nodes send to the debug sidebar.
        const problemsBefore = await sidebarProblems();
        // Start it with the inject button(s) and watch the status under our nodes until the flow is done.
        const injects = flow.filter((n) => n.type === 'inject');
        const finals = ours.filter((n) => (n.type === 'lipsync-create' && n.wait) || n.type === 'lipsync-wait');
        for (const inject of injects.filter((n) => !/check|status/i.test(n.name ?? ''))) await nodeGroup(inject.id).locator('.red-ui-flow-node-button').click();
        for (const node of finals) {
          await expect.poll(() => statusText(node.id), { timeout: 60_000, message: `status under ${node.type} ${node.id}` }).toMatch(/^completed · \d+s$/);
        }
        for (const node of ours.filter((n) => n.type === 'lipsync-create' && !n.wait)) {
          await expect.poll(() => statusText(node.id), { timeout: 30_000 }).toMatch(/created|completed/);
        }
        // A "check status" inject (example 02) then looks the job up.
        for (const inject of injects.filter((n) => /check|status/i.test(n.name ?? ''))) {
          await nodeGroup(inject.id).locator('.red-ui-flow-node-button').click();
          const lookup = ours.find((n) => n.type === 'lipsync-status')!;
          await expect.poll(() => statusText(lookup.id), { timeout: 30_000 }).toMatch(/queued|processing|completed/);
        }
        // A voice cloned from a recording (example 05's second inject) is named under its node.
        for (const node of ours.filter((n) => n.type === 'lipsync-voice')) {
          await expect.poll(() => statusText(node.id), { timeout: 30_000, message: `status under ${node.type} ${node.id}` }).toMatch(/^cloned: /);
        }
        await page.waitForTimeout(500);
        expect((await sidebarProblems()).slice(problemsBefore.length), `${file}: warnings or errors in the debug sidebar`).toEqual([]);
      });
    }, STORY_TIMEOUT);
  }

  it("the speech node lists the deployed account's voices, and the voice picked from the list is the one spoken", async () => {
    await story(session, `node-red-${RED_VERSION}-voice-list`, async () => {
      // Example 05 is imported, its Fish Audio account pointed at the sandbox and deployed (the story above).
      const file = examples.find((f) => f.startsWith('05'))!;
      const flow = exampleFlow(file);
      const tab = flow.find((n) => n.type === 'tab')!;
      const speech = flow.find((n) => n.type === 'lipsync-speech')!;
      const create = flow.find((n) => n.type === 'lipsync-create')!;
      const inject = flow.find((n) => n.type === 'inject' && /speak the script/.test(n.name))!;
      await page.locator('#red-ui-workspace-tabs .red-ui-tab', { hasText: tab.label.slice(0, 12) }).click();
      await openDialog(speech);
      await page.locator('#node-input-voice-load').click();
      await expect.poll(() => page.locator('#node-input-voice-info').innerText(), { timeout: 30_000 }).toMatch(/\d+ voices loaded/);
      const offered = await page.locator('#node-input-voice-list option').evaluateAll((els) => els.map((e) => [e.getAttribute('value'), e.textContent]));
      expect(offered).toEqual(expect.arrayContaining([['sandbox-voice-anna', 'Anna (sandbox)'], ['sandbox-voice-ben', 'Ben (sandbox)']]));
      await page.locator('#node-input-voice').fill('sandbox-voice-ben');
      await done();
      await deploy();
      sandbox.clearRequests();
      await nodeGroup(inject.id).locator('.red-ui-flow-node-button').click();
      const spoken = () => sandbox.requests.find((r) => r.provider === 'fishaudio-open' && r.path === '/api/open/tts');
      await expect.poll(() => spoken(), { timeout: 30_000, message: 'the speech request' }).toBeDefined();
      expect(spoken()!.body).toMatchObject({ reference_id: 'sandbox-voice-ben' });
      await expect.poll(() => sandbox.requests.some((r) => r.provider === 'fishaudio-open' && r.method === 'POST' && r.path === '/api/open/lip-sync/create'), { timeout: 30_000 }).toBe(true);
      await expect.poll(() => statusText(create.id), { timeout: 60_000 }).toMatch(/^completed · \d+s$/);
    });
  }, STORY_TIMEOUT);

  it('flags an account without an API key in the editor', async () => {
    await story(session, `node-red-${RED_VERSION}-account-key`, async () => {
      const id = await page.evaluate(() => {
        const RED = (globalThis as any).RED;
        const nid = RED.nodes.id();
        RED.nodes.add({ id: nid, type: 'lipsync-account', _def: RED.nodes.getType('lipsync-account'), provider: 'joggai', baseUrl: '', name: 'no key', users: [], credentials: {} });
        return nid;
      });
      await openDialog({ id });
      await done(true);
      expect(await isValid(id)).toBe(false);
    });
  }, STORY_TIMEOUT);
});
