// `npm run bench`: builds if needed, runs every benchmark, prints each figure with its target and PASS/MISS,
// and writes bench/results.json. Benchmarks are not tests: nothing here fails the build on a miss.
// Only some: `npm run bench -- polling media` (names: polling, overhead, concurrency, media, store).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './lib/common.mjs';

const ALL = ['polling', 'overhead', 'concurrency', 'media', 'store'];
const chosen = process.argv.slice(2).filter((a) => !a.startsWith('-'));
for (const name of chosen) if (!ALL.includes(name)) throw new Error(`unknown benchmark "${name}"; use: ${ALL.join(', ')}`);
const names = chosen.length ? chosen : ALL;

function newestSource(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    const st = statSync(file);
    newest = Math.max(newest, st.isDirectory() ? newestSource(file) : /\.(ts|html|json)$/.test(name) ? st.mtimeMs : 0);
  }
  return newest;
}
const built = join(ROOT, 'dist/src/index.js');
const stale = !existsSync(built) || Math.max(...['src', 'nodes', 'credentials'].map((d) => newestSource(join(ROOT, d)))) > statSync(built).mtimeMs;
if (stale) {
  console.log('dist/ is missing or older than the sources: building…');
  execFileSync(process.execPath, [join(ROOT, 'scripts/build.mjs')], { stdio: 'inherit', cwd: ROOT });
}

const KB = 1024;
const MB = 1024 * 1024;
const fmt = (n, digits = 2) => (typeof n === 'number' && Number.isFinite(n) ? n.toFixed(digits) : String(n));
const lines = [];
const row = (figure, value, target, pass) => lines.push({ figure, value, target, verdict: pass === undefined ? '' : pass ? 'PASS' : 'MISS' });

const results = { ranAt: new Date().toISOString(), command: `npm run bench${chosen.length ? ` -- ${chosen.join(' ')}` : ''}`, node: process.version, cpus: cpus().length, memoryGB: +(totalmem() / 1024 ** 3).toFixed(1), benchmarks: {} };

for (const name of names) {
  const started = Date.now();
  process.stdout.write(`running ${name}… `);
  const r = await (await import(`./${name}.mjs`)).run();
  console.log(`${((Date.now() - started) / 1000).toFixed(0)} s`);
  results.benchmarks[name] = r;
  if (name === 'polling') {
    const base = r.rows[0];
    row(`polling: ${base.strategy}`, `${fmt(base.requests, 1)} req/job, ${fmt(base.delayS)} s delay`, 'baseline', undefined);
    for (const x of r.rows.slice(1)) {
      row(`polling: ${x.strategy}`, `${fmt(x.requests, 1)} req/job (${fmt(x.requestRatio)}x), ${fmt(x.delayS)} s delay (${fmt(x.delayRatio)}x)`, '<= 0.5x requests, <= 1x delay', x.meetsTarget);
    }
  }
  if (name === 'overhead') {
    for (const x of r.rows) {
      row(`overhead: ${x.host}`, `CPU/job ${fmt(x.hosted.cpuMsPerJob)} ms vs bare ${fmt(x.bare.cpuMsPerJob)} ms = ${fmt(x.cpuRatio)}x (rounds ${x.perRoundCpuRatio.map((v) => fmt(v)).join(', ')}); ${fmt(x.hosted.jobsPerSecond, 0)} vs ${fmt(x.bare.jobsPerSecond, 0)} jobs/s`, '<= 1.25x CPU/job', x.meetsTarget);
    }
  }
  if (name === 'concurrency') {
    const h = r.heap;
    row(`concurrency: heap per waiting job (${h.jobs} jobs, ${h.heldBySandbox} at the sandbox)`, `${fmt(h.heapBytesPerJob / KB)} KB (RSS ${fmt(h.rssBytesPerJob / KB)} KB); all waiting after ${fmt(h.rampSeconds, 0)} s`, '< 10 KB', h.meetsTarget);
    const l = r.limiter;
    row(`concurrency: create limiter (${l.limit}, ${l.offered} offered)`, `max ${l.maxInAnyWindow} in any window, ${l.refusedWith429} refused (429), ${l.sentInObservation} sent; per 10 s: ${l.arrivalsPer10s.join(' ')}`, `<= ${l.limit.split(' ')[0]} per window, 0 refused`, l.meetsTarget);
  }
  if (name === 'media') {
    for (const x of r.rows) row(`media: ${x.host}, ${fmt(r.size / MB, 0)} MB`, `RSS +${fmt(x.rssGrowthBytes / MB, 1)} MB (${x.measured})`, '< 64 MB', x.meetsTarget);
  }
  if (name === 'store') {
    for (const x of r.rows) {
      row(`store: ${x.host}, ${fmt(r.size / MB, 0)} MB`, `RSS +${fmt(x.rssGrowthBytes / MB, 1)} MB, ${fmt(x.seconds, 1)} s, ${fmt(x.inBucket / MB, 1)} MB in the bucket (${x.measured})`, '< 64 MB', x.meetsTarget);
    }
  }
}

const w = [Math.max(...lines.map((l) => l.figure.length)), Math.max(...lines.map((l) => l.target.length))];
console.log('');
for (const l of lines) console.log(`${l.verdict.padEnd(4)}  ${l.figure.padEnd(w[0])}  ${l.target.padEnd(w[1])}  ${l.value}`);
results.summary = lines;
const out = join(ROOT, 'bench/results.json');
writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
console.log(`\n${lines.filter((l) => l.verdict === 'PASS').length} PASS, ${lines.filter((l) => l.verdict === 'MISS').length} MISS; written to bench/results.json`);
process.exit(0);
