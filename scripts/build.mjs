// Build: compile TypeScript to CommonJS in dist/, then copy the non-TS assets that the hosts load at run time
// (Node-RED editor .html + locales, n8n icons and codex files, sandbox media).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');
rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.json')], {
  stdio: 'inherit',
});

const assetExt = /\.(html|json|svg|png|mp4|wav|mp3)$/;
function copyAssets(dir) {
  const abs = join(root, dir);
  if (!existsSync(abs)) return;
  for (const name of readdirSync(abs)) {
    const file = join(abs, name);
    if (statSync(file).isDirectory()) copyAssets(join(dir, name));
    else if (assetExt.test(name)) cpSync(file, join(dist, relative(root, file)));
  }
}
for (const dir of ['src', 'nodes', 'credentials', 'icons']) copyAssets(dir);
