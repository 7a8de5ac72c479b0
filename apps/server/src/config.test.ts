import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, envExample, loadConfig } from './config.ts';

describe('config', () => {
  it('has working defaults: role all, port 3000, embedded database in ./data', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      ROLE: 'all',
      PORT: 3000,
      DATA_DIR: './data',
      publicUrl: 'http://localhost:3000',
    });
    expect(c.DATABASE_URL).toBeUndefined();
    expect(c.cookieSecure).toBe(false);
  });

  it('listens on this machine only unless HOST says otherwise', () => {
    expect(loadConfig({}).HOST).toBe('127.0.0.1');
    expect(loadConfig({ HOST: '0.0.0.0' }).HOST).toBe('0.0.0.0');
  });

  it('LOG_FORMAT is auto unless json or pretty is asked for; anything else is refused', () => {
    expect(loadConfig({}).LOG_FORMAT).toBe('auto');
    expect(loadConfig({ LOG_FORMAT: 'json' }).LOG_FORMAT).toBe('json');
    expect(loadConfig({ LOG_FORMAT: 'pretty' }).LOG_FORMAT).toBe('pretty');
    expect(() => loadConfig({ LOG_FORMAT: 'yaml' })).toThrow(/LOG_FORMAT: .*"yaml"/);
  });

  it('reports every invalid key at once, naming the key and the value', () => {
    let error: unknown;
    try {
      loadConfig({
        PORT: 'eighty',
        ROLE: 'boss',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        APP_SECRET: 'short',
      });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'APP_SECRET',
      'DATABASE_URL',
      'LOG_LEVEL',
      'PORT',
      'ROLE',
    ]);
    expect((error as Error).message).toContain('PORT: ');
    expect((error as Error).message).toContain('"eighty"');
  });

  it('requires APP_SECRET in production', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(/APP_SECRET: required/);
    expect(loadConfig({ NODE_ENV: 'production', APP_SECRET: 'x'.repeat(32) }).NODE_ENV).toBe('production');
  });

  it('lets CLI flags override the environment', () => {
    expect(loadConfig({ PORT: '4000', ROLE: 'api' }, { PORT: '5000' })).toMatchObject({
      PORT: 5000,
      ROLE: 'api',
    });
  });

  it('secure cookies follow an https PUBLIC_URL', () => {
    expect(loadConfig({ PUBLIC_URL: 'https://wa.example.com/' })).toMatchObject({
      cookieSecure: true,
      publicUrl: 'https://wa.example.com',
    });
  });

  it('.env.example lists every key and matches the committed file', () => {
    const text = envExample();
    for (const key of ['ROLE', 'PORT', 'DATABASE_URL', 'DATA_DIR', 'APP_SECRET', 'BODY_LIMIT_BYTES'])
      expect(text).toContain(key);
    const committed = readFileSync(fileURLToPath(new URL('../../../.env.example', import.meta.url)), 'utf8');
    expect(committed.trim()).toBe(text.trim());
  });

  it('is the only reader of process.env in the server and CLI', () => {
    const roots = ['../src', '../../cli/src'].map((p) => fileURLToPath(new URL(p, import.meta.url)));
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !path.endsWith('config.ts')) {
          if (readFileSync(path, 'utf8').includes('process.env')) offenders.push(path);
        }
      }
    };
    for (const r of roots) walk(r);
    expect(offenders).toEqual([]);
  });
});
