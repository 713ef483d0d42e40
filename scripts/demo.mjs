#!/usr/bin/env node
// `npm start`: the demo. Starts the sandbox and an embedded Node-RED with this package and runs the whole chain of
// the example flow "05 - Script in, video file out": script text -> speech (Fish Audio TTS, a chosen or cloned
// voice) -> lip-sync onto the sample video -> ./output/lipsync-<job id>.mp4. With --audio it runs "04 - Audio file
// in, video file out" instead (audio BYTES in). It prints what it did and exits. No API key, loopback only.
//
//   npm start                          sandbox, Fish Audio open API: script -> speech -> lip-sync -> MP4
//   npm start -- --script "Hi there"   your own script (or LIPSYNC_SCRIPT); --voice <id>; --clone <recording.wav>
//   npm start -- --audio               audio file in instead (sandbox, JoggAI wire format)
//   npm start -- --editor              the same, then keeps the Node-RED editor open on http://127.0.0.1:1880/
//   npm start -- --output /tmp/videos  another output folder
//   LIPSYNC_PROVIDER=chamelaion npm start                       another sandbox provider
//   LIPSYNC_PROVIDER=joggai LIPSYNC_API_KEY=... npm start       the real JoggAI API (no sandbox)
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const AUDIO_EXAMPLE = join(ROOT, 'examples', '04 - Audio file in, video file out.json');
const SCRIPT_EXAMPLE = join(ROOT, 'examples', '05 - Script in, video file out.json');
const SPEECH_PROVIDERS = ['fishaudio-open', 'fishaudio-v1'];
const DEFAULT_SCRIPT = 'Hello! This video was made from a script: the words were turned into speech, and the speech was lip-synced onto the video.';
const SANDBOX_KEY = 'sandbox-key';

const USAGE = `Usage: npm start [-- --script "text"] [--voice <id>] [--clone <file>] [--audio] [--editor] [--port 1880] [--output ./output]

Runs the Node-RED example flow "05 - Script in, video file out" in an embedded Node-RED: speaks the script with
a Fish Audio voice, lip-syncs the speech onto the sample video and writes the finished MP4 to the output folder.

  --script <text> the script to speak (default: a sample sentence; or LIPSYNC_SCRIPT)
  --voice <id>    the voice (default: the sandbox's sandbox-voice-anna; or LIPSYNC_VOICE)
  --clone <file>  clone a voice from this WAV/MP3 recording first and speak in it (or LIPSYNC_VOICE_SAMPLE)
  --audio         run "04 - Audio file in, video file out" instead: the audio file's bytes in, no speech
  --editor        keep Node-RED running with its editor on http://127.0.0.1:<port>/ (Ctrl+C to stop)
  --port <n>      editor port (default 1880; loopback only)
  --output <dir>  where the video goes (default ./output, or LIPSYNC_OUTPUT_DIR)

Environment:
  LIPSYNC_PROVIDER     fishaudio-open | fishaudio-v1 (the script chain; default fishaudio-open), or
                       akool | chamelaion | joggai (audio file in; --audio defaults to joggai)
  LIPSYNC_API_KEY      set it to use the real provider API instead of the sandbox
  LIPSYNC_BASE_URL     another host for the real provider (optional)
  LIPSYNC_VIDEO_URL    a public URL of your video (the script chain with a real Fish Audio key)
  LIPSYNC_VIDEO_FILE   your video (audio mode; default: the bundled sample.mp4)
  LIPSYNC_AUDIO_FILE   your speech audio (default: the bundled sample.wav)
  LIPSYNC_S3_ENDPOINT, LIPSYNC_S3_BUCKET, LIPSYNC_S3_REGION, LIPSYNC_S3_ACCESS_KEY_ID, LIPSYNC_S3_SECRET_ACCESS_KEY
                       S3-compatible storage, needed by Fish Audio and Akool to take files`;

let args;
try {
  ({ values: args } = parseArgs({
    options: {
      editor: { type: 'boolean', default: false },
      port: { type: 'string', default: '1880' },
      output: { type: 'string', default: process.env.LIPSYNC_OUTPUT_DIR || 'output' },
      help: { type: 'boolean', short: 'h', default: false },
      audio: { type: 'boolean', default: false },
      script: { type: 'string', default: process.env.LIPSYNC_SCRIPT || DEFAULT_SCRIPT },
      voice: { type: 'string', default: process.env.LIPSYNC_VOICE || '' },
      clone: { type: 'string', default: process.env.LIPSYNC_VOICE_SAMPLE || '' },
    },
  }));
} catch (e) {
  console.error(`${e.message}\n\n${USAGE}`);
  process.exit(2);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const fail = (text, code = 1) => {
  console.error(`\n✗ ${text}`);
  process.exit(code);
};

// 1. The nodes run from dist/: build on a fresh clone, and again whenever a source file is newer than the build.
function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newest(join(path, name))));
}
const stamp = join(ROOT, 'dist/src/index.js');
const needed = ['dist/src/node-red/lipsync-create.js', 'dist/src/sandbox/assets/sample.mp4', 'dist/src/node-red/locales/en-US/lipsync-create.json'];
const built = existsSync(stamp) && needed.every((f) => existsSync(join(ROOT, f)));
const sources = Math.max(...['src', 'nodes', 'credentials', 'icons', 'tsconfig.json'].map((p) => newest(join(ROOT, p))));
if (!built || sources > statSync(stamp).mtimeMs) {
  if (!existsSync(join(ROOT, 'node_modules/typescript'))) fail('The package is not built and TypeScript is missing: run npm install first');
  console.log(built ? 'Sources changed since the last build: building …' : 'First run: building the package (tsc) …');
  try {
    execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit' });
  } catch {
    fail('The build failed (see above)');
  }
}

const require = createRequire(join(ROOT, 'package.json'));
const { PROVIDER_IDS, adapters, inspectMedia, providerName } = require('./dist/src/index.js');
const { startSandbox } = require('./dist/src/sandbox/index.js');

// 2. Provider: the sandbox unless an API key is given. The script chain needs a provider with speech (Fish Audio);
// the others (or --audio, or an audio file given) run the audio-file flow.
const env = (name) => (process.env[name] || '').trim();
const chosen = env('LIPSYNC_PROVIDER');
const scriptMode = !args.audio && !env('LIPSYNC_AUDIO_FILE') && (!chosen || SPEECH_PROVIDERS.includes(chosen));
const provider = chosen || (scriptMode ? 'fishaudio-open' : 'joggai');
if (!PROVIDER_IDS.includes(provider)) fail(`LIPSYNC_PROVIDER must be one of ${PROVIDER_IDS.join(', ')}; got "${provider}"`, 2);
const apiKey = process.env.LIPSYNC_API_KEY || '';
const real = apiKey !== '';
if (scriptMode && !args.script.trim()) fail('--script is empty: give the text to speak', 2);
if (scriptMode && real && !env('LIPSYNC_VIDEO_URL')) fail(`${providerName(provider)} takes the video as a URL: set LIPSYNC_VIDEO_URL to a public URL of your video`, 2);
if (scriptMode && real && !args.voice && !args.clone) fail('Set the voice to speak with: --voice <id> (or LIPSYNC_VOICE), or --clone <recording.wav>', 2);
const s3 = env('LIPSYNC_S3_ENDPOINT')
  ? {
      storage: true,
      s3Endpoint: env('LIPSYNC_S3_ENDPOINT'),
      s3Bucket: env('LIPSYNC_S3_BUCKET'),
      s3Region: env('LIPSYNC_S3_REGION'),
      s3Prefix: env('LIPSYNC_S3_PREFIX') || 'lipsync-demo/',
    }
  : { storage: false };
const adapter = adapters[provider];
if (!scriptMode && !adapter.uploadMedia && !adapter.buildCreateWithMedia && !s3.storage) {
  fail(
    `${providerName(provider)} takes media only as URLs, so this demo (which sends files) needs S3-compatible storage:\n` +
      '  set LIPSYNC_S3_ENDPOINT, LIPSYNC_S3_BUCKET, LIPSYNC_S3_REGION, LIPSYNC_S3_ACCESS_KEY_ID and LIPSYNC_S3_SECRET_ACCESS_KEY,\n' +
      '  or use LIPSYNC_PROVIDER=joggai or chamelaion (they take uploads themselves).',
    2,
  );
}

const videoFile = resolve(env('LIPSYNC_VIDEO_FILE') || join(ROOT, 'src/sandbox/assets/sample.mp4'));
const audioFile = resolve(env('LIPSYNC_AUDIO_FILE') || join(ROOT, 'src/sandbox/assets/sample.wav'));
const cloneFile = args.clone ? resolve(args.clone) : '';
for (const f of scriptMode ? [cloneFile].filter(Boolean) : [videoFile, audioFile]) if (!existsSync(f)) fail(`${f} does not exist`, 2);
const outputDir = resolve(args.output);
mkdirSync(outputDir, { recursive: true });
// The example flow's inject node reads these three.
process.env.LIPSYNC_VIDEO_FILE = videoFile;
process.env.LIPSYNC_AUDIO_FILE = audioFile;
process.env.LIPSYNC_OUTPUT_DIR = outputDir + sep;
if (cloneFile) process.env.LIPSYNC_VOICE_SAMPLE = cloneFile;

const port = Number(args.port);
if (args.editor && !(Number.isInteger(port) && port > 0 && port < 65536)) fail(`--port must be a port number, got "${args.port}"`, 2);

let sandbox;
let RED;
let server;
let userDir;
async function shutdown(code) {
  try {
    await RED?.stop();
  } catch {
    // stopping a half-started runtime
  }
  server?.closeAllConnections?.();
  server?.close();
  await sandbox?.close();
  if (userDir) rmSync(userDir, { recursive: true, force: true });
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

let baseUrl = env('LIPSYNC_BASE_URL');
if (!real) {
  // Jobs take 6 s so the status visibly moves from queued to processing to completed.
  sandbox = await startSandbox({ apiKey: SANDBOX_KEY, jobDurationMs: 6000 });
  baseUrl = sandbox.baseUrl(provider);
}
console.log(
  real
    ? `Provider: ${providerName(provider)}, the real API${baseUrl ? ` at ${baseUrl}` : ''} (key from LIPSYNC_API_KEY)`
    : `Provider: ${providerName(provider)} in the sandbox at ${baseUrl} (no API key, loopback only)`,
);
const videoUrl = scriptMode ? env('LIPSYNC_VIDEO_URL') || `${sandbox?.url}/media/sample.mp4` : '';
const voice = args.voice || (real ? '' : 'sandbox-voice-anna');
if (scriptMode) {
  console.log(`Script:   "${args.script.length > 100 ? `${args.script.slice(0, 100)}…` : args.script}" (${args.script.length} characters)`);
  console.log(cloneFile ? `Voice:    cloned from ${cloneFile}` : `Voice:    ${voice}`);
  console.log(`Video:    ${videoUrl}\nOutput:   ${outputDir}${sep}`);
} else console.log(`Video:    ${videoFile}\nAudio:    ${audioFile} (sent as bytes)\nOutput:   ${outputDir}${sep}`);

// 3. Embedded Node-RED with this package as a nodes directory.
const redRequire = createRequire(require.resolve('node-red'));
RED = require('node-red');
const express = redRequire('express');
const app = express();
server = createServer(app);
userDir = mkdtempSync(join(tmpdir(), 'lipsync-demo-'));
RED.init(server, {
  userDir,
  nodesDir: [ROOT],
  flowFile: 'flows.json',
  // A throw-away key: the userDir (and the credentials in it) is deleted on exit.
  credentialSecret: randomBytes(16).toString('hex'),
  uiHost: '127.0.0.1',
  httpAdminRoot: args.editor ? '/' : false,
  httpNodeRoot: false,
  disableEditor: !args.editor,
  fileWorkingDirectory: process.cwd(),
  externalModules: { autoInstall: false, palette: { allowInstall: false } },
  editorTheme: { tours: false },
  logging: {
    // Warnings and errors, less the two start-up notes every embedded Node-RED without projects prints.
    demo: {
      level: 'warn',
      metrics: false,
      audit: false,
      handler: () => (m) => {
        if (/Projects disabled|Encrypted credentials not found/.test(String(m.msg))) return;
        console.warn(`  node-red ${m.level <= 20 ? 'error' : 'warning'}: ${m.msg}`);
      },
    },
  },
});
if (args.editor) app.use('/', RED.httpAdmin);
await new Promise((ok, ko) => {
  server.once('error', (e) => ko(e));
  server.listen(args.editor ? port : 0, '127.0.0.1', ok);
}).catch((e) => fail(e.code === 'EADDRINUSE' ? `Port ${port} is in use: pick another with --port` : e.message));
// RED.start() resolves before the flows have started: wait for the event as well.
const initial = new Promise((ok) => RED.events.once('flows:started', ok));
await RED.start();
await initial;
if (typeof RED.nodes.getType('lipsync-create') !== 'function') {
  const ours = RED.nodes.getNodeList().filter((n) => n.types?.some((t) => t.startsWith('lipsync-')) || n.err);
  fail(`Node-RED did not load the lip-sync nodes from ${ROOT}:\n${ours.map((n) => `  ${n.id}: ${n.err ?? 'not enabled'}`).join('\n')}`);
}

// 4. The example flow, with the account pointed at the sandbox (or the real provider).
const flow = JSON.parse(readFileSync(scriptMode ? SCRIPT_EXAMPLE : AUDIO_EXAMPLE, 'utf8'));
const tabs = [...new Set(flow.map((n) => n.z).filter(Boolean))].map((id) => ({ id, type: 'tab', label: scriptMode ? 'Script in, video file out' : 'Audio file in, video file out' }));
for (const n of flow) {
  if (n.type !== 'lipsync-account') continue;
  Object.assign(n, { name: real ? providerName(provider) : `${providerName(provider)} (sandbox)`, provider, baseUrl, ...s3 });
  n.credentials = {
    apiKey: real ? apiKey : SANDBOX_KEY,
    ...(s3.storage ? { s3AccessKeyId: env('LIPSYNC_S3_ACCESS_KEY_ID'), s3SecretAccessKey: process.env.LIPSYNC_S3_SECRET_ACCESS_KEY || '' } : {}),
  };
}
const find = (type, name) => flow.find((n) => n.type === type && (name === undefined || n.name === name));
const create = find('lipsync-create');
// In the sandbox, poll every second so each state shows; real providers keep the adaptive schedule.
if (!real) create.pollInterval = 1;
const speechNode = find('lipsync-speech');
const cloneNode = find('lipsync-voice');
let inject = find('inject');
if (scriptMode) {
  create.videoUrl = videoUrl;
  speechNode.voice = voice;
  inject = find('inject', cloneFile ? 'clone a voice, then speak' : 'speak the script');
  if (cloneFile) inject.props.find((p) => p.p === 'script').v = args.script;
  else inject.payload = args.script;
}
const watched = new Map([[create.id, ''], ...(scriptMode ? [[speechNode.id, 'speech'], [cloneNode.id, 'clone voice']] : [])]);
let speech;
const outcomes = new Map([
  [find('debug', 'video saved').id, 'saved'],
  [find('debug', 'failed or timed out').id, 'failed'],
  [find('debug', 'error').id, 'error'],
]);

let settle;
let result = new Promise((ok) => (settle = ok));
RED.hooks.add('onReceive.lipsyncDemo', (evt) => {
  const outcome = outcomes.get(evt.destination.id);
  if (outcome) settle({ outcome, msg: evt.msg });
  // What the speech node handed to the lip-sync.
  if (scriptMode && evt.destination.id === create.id && evt.msg.audio) speech = { ...evt.msg.audio, voiceId: evt.msg.voiceId ?? voice };
});
let lastState = '';
RED.events.on('node-status', (e) => {
  if (!watched.has(e.id) || !e.status?.text) return;
  const text = e.status.text;
  const state = `${e.id} ${text.replace(/ · \d+(h|m|s).*$/, '')}`;
  if (state === lastState) return;
  lastState = state;
  console.log(`  status: ${watched.get(e.id) ? `${watched.get(e.id)}: ` : ''}${text}`);
});

const started = new Promise((ok) => RED.events.once('flows:started', ok));
await RED.runtime.flows.setFlows({ flows: { flows: [...tabs, ...flow] }, deploymentType: 'full' });
await started;

async function run() {
  lastState = '';
  console.log(
    scriptMode
      ? `\nRunning the flow: ${cloneFile ? 'read the recording → clone voice → ' : ''}script → speech → create job (wait for completion, save to file) …`
      : '\nRunning the flow: read video + audio → create job (wait for completion, save to file) …',
  );
  RED.nodes.getNode(inject.id).receive({});
  const { outcome, msg } = await result;
  result = new Promise((ok) => (settle = ok));
  if (outcome !== 'saved') {
    const error = msg.error ?? {};
    console.error(`\n✗ ${outcome === 'failed' ? 'The job did not complete' : 'The flow reported an error'}: ${error.message ?? JSON.stringify(error)}`);
    if (msg.jobId) console.error(`  job id: ${msg.jobId}`);
    return false;
  }
  const file = msg.filename;
  const info = inspectMedia(readFileSync(file));
  const seconds = info.durationSeconds ? `, ${Math.round(info.durationSeconds * 10) / 10} s` : '';
  if (speech) {
    console.log(`\n✓ Speech: ${speech.charactersUsed ?? args.script.length} characters spoken in voice ${speech.voiceId}, ${speech.format?.toUpperCase() ?? 'audio'} at ${speech.url}`);
    console.log('  (the lip-sync job got that URL as its audio; the sandbox keeps the sample video\'s own sound track, it does not mux the speech in)');
  }
  console.log(`${speech ? '' : '\n'}✓ Job ${msg.jobId} completed; the video was downloaded (${Math.round(info.size / 1024)} KB ${info.container.toUpperCase()}${seconds}):`);
  console.log(`  ${file}`);
  return true;
}

// Progress and the outcome come from the flow; a stuck run still ends.
const guardMs = real ? 35 * 60_000 : 60_000;
const guard = setTimeout(() => {
  console.error(`\n✗ No result after ${guardMs / 1000} s`);
  void shutdown(1);
}, guardMs);
const ok = await run();
clearTimeout(guard);

if (!args.editor) await shutdown(ok ? 0 : 1);
else {
  RED.hooks.remove('onReceive.lipsyncDemo');
  RED.hooks.add('onReceive.lipsyncDemo', (evt) => {
    if (outcomes.get(evt.destination.id) === 'saved') console.log(`  saved ${evt.msg.filename}`);
  });
  console.log(`\nNode-RED editor: http://127.0.0.1:${port}/  (click "${inject.name}" to run it again; Ctrl+C to stop)`);
  if (sandbox) console.log(`Sandbox: ${sandbox.url} (key ${SANDBOX_KEY})`);
}
