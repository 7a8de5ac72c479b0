// Builds the dashboard (apps/web/dist). With --if-stale, skips the build when dist is newer than
// every source file it depends on, so `npm start` stays fast after the first run.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'apps/web/dist/index.html');
const sources = [
  'apps/web/src',
  'apps/web/index.html',
  'apps/web/public',
  'apps/web/vite.config.ts',
  'packages/contracts/src',
  'packages/sdk/src',
];

function newest(path) {
  const full = join(root, path);
  if (!existsSync(full)) return 0;
  const st = statSync(full);
  if (!st.isDirectory()) return st.mtimeMs;
  return Math.max(0, ...readdirSync(full).map((name) => newest(join(path, name))));
}

if (process.argv.includes('--if-stale') && existsSync(dist)) {
  const built = statSync(dist).mtimeMs;
  if (Math.max(...sources.map(newest)) <= built) process.exit(0);
}
if (!existsSync(join(root, 'node_modules/vite'))) {
  console.error('Dependencies are not installed: run `npm ci` first.');
  process.exit(1);
}
console.log('Building the dashboard…');
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vite/bin/vite.js'), 'build', 'apps/web', '--logLevel', 'warn'],
  {
    cwd: root,
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
