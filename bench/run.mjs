// `npm run bench -- <name>`: runs bench/<name>.mjs, which prints its result as one JSON line last.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const available = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace(/\.bench\.mjs$/, ''));
const name = process.argv[2];
if (!name || !existsSync(`${dir}/${name}.bench.mjs`)) {
  console.error(
    `${name ? `No benchmark named "${name}". ` : ''}Usage: npm run bench -- <name>. Available: ${available.join(', ') || 'none yet'}`,
  );
  process.exit(2);
}
const r = spawnSync(
  process.execPath,
  ['--import', 'tsx', `${dir}/${name}.bench.mjs`, ...process.argv.slice(3)],
  {
    stdio: 'inherit',
  },
);
process.exit(r.status ?? 1);
