import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ICredentialType, INodeType } from 'n8n-workflow';
import { describe, expect, it } from 'vitest';

/**
 * What n8n's loader expects of a community package: each file of the `n8n` section exports a class
 * named like the file (`Openwaba.node.js` → `Openwaba`), the nodes' credentials exist, and the icons
 * and codex files sit where the descriptions point. Checked on the sources the build compiles.
 */
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const source = (dist: string) => join(root, dist.replace(/^dist\//, 'src/').replace(/\.js$/, '.ts'));
const load = async <T>(dist: string) => {
  const mod = (await import(source(dist))) as Record<string, new () => T>;
  const name = basename(dist).split('.')[0]!;
  expect(mod[name], `${dist} exports ${name}`).toBeTypeOf('function');
  return new mod[name]!();
};
const icon = (dist: string, file: unknown) => join(dirname(source(dist)), String(file).replace(/^file:/, ''));

describe('the package as n8n loads it', () => {
  it('is a community node package for n8n API version 1', () => {
    expect(pkg.name).toMatch(/^n8n-nodes-/);
    expect(pkg.keywords).toContain('n8n-community-node-package');
    expect(pkg.n8n.n8nNodesApiVersion).toBe(1);
    expect(pkg.peerDependencies).toHaveProperty('n8n-workflow');
    expect(pkg.dependencies ?? {}).toEqual({});
  });

  it('credentials and nodes: classes named like their files, icons and codex files in place', async () => {
    const credentials: string[] = [];
    for (const file of pkg.n8n.credentials as string[]) {
      const c = await load<ICredentialType>(file);
      credentials.push(c.name);
      expect(existsSync(icon(file, c.icon))).toBe(true);
    }
    for (const file of pkg.n8n.nodes as string[]) {
      const node = await load<INodeType>(file);
      const d = node.description;
      expect(existsSync(icon(file, d.icon)), `${file} icon`).toBe(true);
      expect(existsSync(source(file).replace(/\.ts$/, '.json')), `${file} codex`).toBe(true);
      for (const c of d.credentials ?? []) expect(credentials).toContain(c.name);
      // Every drop-down's method exists.
      const methods = Object.keys(node.methods?.loadOptions ?? {});
      const wanted = JSON.stringify(d.properties).match(/"loadOptionsMethod":"\w+"/g) ?? [];
      for (const m of wanted) expect(methods).toContain(m.split(':')[1]!.replaceAll('"', ''));
    }
  });
});
