// The whole test suite, as the README and .ci/run call it: build, then every vitest lane, then one summary line.
//   lane "node22": every test under test/ on Node 22 (Node-RED 4, n8n engine 2.8, the n8n CLIs end to end).
//   further lanes come from scripts/lanes/*.mjs (e.g. Node-RED 5 on Node 24); each exports
//   { name, available(): boolean|string, command(): {cmd, args, env} } and is skipped, loudly, when unavailable
//   outside CI. In CI (CI=true) an unavailable lane is a failure.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, '.ci', 'results');
rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
const onlyArgs = process.argv.slice(2);
const inCi = process.env.CI === 'true' || process.env.CI === '1';

const run = (cmd, args, env = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } }).status ?? 1;

// The extra runtimes (Node 24, Node-RED 5, the n8n CLIs, s3rver) install on the first run and are reused after
// (scripts/setup-extras.sh is idempotent). LIPSYNC_SKIP_EXTRAS=1 skips the step; the lanes that need them then
// say so and are skipped (outside CI) or fail (in CI).
if (process.env.LIPSYNC_SKIP_EXTRAS !== '1' && run('bash', [join(root, 'scripts/setup-extras.sh')]) !== 0) {
  if (inCi) {
    console.log('0 passed, 1 failed');
    process.exit(1);
  }
  console.log('[test] installing the extra runtimes failed; the tests that need them are skipped');
}

if (run(process.execPath, [join(root, 'scripts/build.mjs')]) !== 0) {
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const vitest = join(root, 'node_modules/vitest/vitest.mjs');
// Node 20 is past its end of life and outside the engines range: the main lane runs on the Node 22 that
// scripts/setup/00-node.sh installs (this script itself may run on any Node that runs npm).
const node22 = join(root, '.ci/extras/node22/node_modules/node/bin/node');
const lanes = [
  {
    name: 'node22',
    available: () => existsSync(node22) || `no Node 22 at ${node22}: run bash scripts/setup-extras.sh`,
    command: () => ({ cmd: node22, args: [vitest, 'run', ...onlyArgs], env: {} }),
  },
];
const laneDir = join(root, 'scripts/lanes');
if (existsSync(laneDir) && onlyArgs.length === 0) {
  for (const f of readdirSync(laneDir).filter((f) => f.endsWith('.mjs')).sort()) {
    lanes.push((await import(pathToFileURL(join(laneDir, f)).href)).default);
  }
}

let passed = 0;
let failed = 0;
let skipped = 0;
// What failed, repeated just before the summary line: CI logs are often read from their end.
const failures = [];
const firstLine = (text) => String(text ?? '').replace(/\u001b\[[0-9;]*m/g, '').split('\n').find((l) => l.trim()) ?? '';
for (const lane of lanes) {
  const ok = lane.available();
  if (ok !== true) {
    console.log(`\n[lane ${lane.name}] not available: ${ok}`);
    if (inCi) {
      failed++;
      failures.push(`[lane ${lane.name}] not available: ${ok}`);
    }
    continue;
  }
  const json = join(outDir, `${lane.name}.json`);
  const { cmd, args, env } = lane.command();
  console.log(`\n[lane ${lane.name}] ${cmd} ${args.join(' ')}`);
  const code = run(cmd, [...args, '--reporter=default', '--reporter=json', `--outputFile=${json}`], env);
  if (!existsSync(json)) {
    console.log(`[lane ${lane.name}] produced no results (exit ${code})`);
    failed++;
    failures.push(`[lane ${lane.name}] produced no results (exit ${code})`);
    continue;
  }
  const r = JSON.parse(readFileSync(json, 'utf8'));
  passed += r.numPassedTests;
  failed += r.numFailedTests + (code !== 0 && r.numFailedTests === 0 ? 1 : 0);
  skipped += r.numPendingTests + r.numTodoTests;
  for (const file of r.testResults ?? []) {
    const rel = String(file.name ?? '').replace(`${root}/`, '');
    const bad = (file.assertionResults ?? []).filter((a) => a.status === 'failed');
    for (const a of bad) failures.push(`[lane ${lane.name}] FAIL ${rel} > ${a.fullName}: ${firstLine(a.failureMessages?.[0])}`);
    if (file.status === 'failed' && bad.length === 0) failures.push(`[lane ${lane.name}] FAIL ${rel}: ${firstLine(file.message)}`);
  }
  if (code !== 0 && r.numFailedTests === 0) {
    failures.push(`[lane ${lane.name}] vitest exited with code ${code} though no test failed (an unhandled error or a failed file: see above)`);
  }
  console.log(`[lane ${lane.name}] ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${r.numPendingTests} skipped`);
}

if (failures.length) console.log(`\nWhat failed:\n${failures.map((f) => `  ${f.slice(0, 400)}`).join('\n')}\n`);
const summary = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
writeFileSync(join(outDir, 'summary.txt'), `${summary}\n`);
console.log(summary);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
