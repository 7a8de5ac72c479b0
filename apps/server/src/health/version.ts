import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The install's root: the root package.json (the app's version, not a workspace's) and `.git`. */
const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** openwaba's version and the git commit of the checkout, or null where there is none. */
export interface VersionInfo {
  version: string;
  commit: string | null;
}

let cached: VersionInfo | undefined;

/**
 * What openwaba this is: the root package.json's `version` and the commit checked out, read once per
 * process (the server and the CLI run from source, so start-up is when they were built).
 *
 * @example
 * appVersion() // { version: '0.1.0', commit: '05c32ea' }
 */
export function appVersion(): VersionInfo {
  cached ??= readVersionInfo(ROOT);
  return cached;
}

/** `0.1.0 (05c32ea)`, or `0.1.0` without a commit: what `openwaba --version` prints. */
export const versionLabel = (v: VersionInfo) => (v.commit ? `${v.version} (${v.commit})` : v.version);

/**
 * The version of the install at `root`. One without git — a tarball, a copy without `.git`, no git
 * binary, a checkout git refuses to read — has commit null: the version never fails a start.
 */
export function readVersionInfo(root: string): VersionInfo {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  return { version, commit: gitCommit(root) };
}

function gitCommit(root: string): string | null {
  // Only the install's own checkout (--git-dir): else git would answer for a repository around it.
  const gitDir = join(root, '.git');
  if (!existsSync(gitDir)) return null;
  try {
    const out = execFileSync('git', [`--git-dir=${gitDir}`, 'rev-parse', '--short', 'HEAD'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 2000,
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return /^[0-9a-f]{4,40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}
