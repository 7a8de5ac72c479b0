import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CORPUS_DNS,
  corpusLookup,
  loopbackSpellings,
  PUBLIC_IP,
  SSRF_CORPUS,
} from '../../test/ssrf-corpus.ts';
import { AppError } from './errors.ts';
import { createGuardedFetch, type GuardedFetch } from './guarded-fetch.ts';
import { collectLinks, createUrlGuard, nonPublicReason, UrlRefusedError } from './url-guard.ts';

describe('URL guard: the SSRF corpus', () => {
  it.each(SSRF_CORPUS)('$expect: $name ($url)', async (c) => {
    const guard = createUrlGuard({ allowPrivate: c.allowPrivate ?? [], lookup: corpusLookup });
    const v = await guard.check(c.url);
    expect(v.ok, v.ok ? 'allowed' : v.reason).toBe(c.expect === 'allowed');
  });

  it('names the address and its kind in the reason', async () => {
    const guard = createUrlGuard({ lookup: corpusLookup });
    expect(await guard.check('http://0x7f.1/')).toEqual({
      ok: false,
      reason: 'points at 127.0.0.1, a loopback address',
    });
    expect(await guard.check('http://metadata.ssrf-drill.example.com/')).toEqual({
      ok: false,
      reason:
        'metadata.ssrf-drill.example.com resolves to 169.254.169.254, a link-local address (where cloud metadata services live)',
    });
    expect(nonPublicReason('64:ff9b::a00:1')).toBe(
      'a NAT64 address of 10.0.0.1, a private (RFC 1918) address',
    );
    expect(nonPublicReason(PUBLIC_IP)).toBeUndefined();
  });

  it('a name that does not resolve is refused, unless the caller accepts it (links Meta fetches)', async () => {
    const guard = createUrlGuard({ lookup: corpusLookup });
    expect(await guard.check('https://nowhere.example.org/a.jpg')).toMatchObject({
      ok: false,
      reason: 'the host nowhere.example.org could not be resolved',
    });
    expect(
      await guard.check('https://nowhere.example.org/a.jpg', { onLookupFailure: 'accept' }),
    ).toMatchObject({ ok: true });
    const slow = createUrlGuard({ lookup: () => new Promise(() => {}), lookupTimeoutMs: 50 });
    expect(await slow.check('https://slow.example.org/')).toMatchObject({ ok: false });
  });

  it('a FETCH_ALLOW_PRIVATE entry that is neither host nor CIDR stops the boot', () => {
    expect(() => createUrlGuard({ allowPrivate: ['10.0.0.0/99'] })).toThrow(/FETCH_ALLOW_PRIVATE/);
    expect(() => createUrlGuard({ allowPrivate: ['http://x'] })).toThrow(/FETCH_ALLOW_PRIVATE/);
  });

  it('finds every link in message content and throws one 400 naming each refused field', async () => {
    const content = {
      type: 'template',
      template: {
        components: [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'http://10.0.0.5/a.jpg' } }] },
          { type: 'body', parameters: [{ type: 'text', text: 'http://127.0.0.1/' }] },
        ],
      },
    };
    const links = collectLinks(content, ['content']);
    expect(links).toEqual([
      {
        path: ['content', 'template', 'components', 0, 'parameters', 0, 'image', 'link'],
        url: 'http://10.0.0.5/a.jpg',
      },
    ]);
    const guard = createUrlGuard({ lookup: corpusLookup });
    const err = await guard.assertLinks(links).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      code: 'VALIDATION_FAILED',
      message:
        'content.template.components.0.parameters.0.image.link: link points at 10.0.0.5, a private (RFC 1918) address',
    });
  });
});

/** A server on loopback that records what reaches it. */
async function serve(handler: (req: IncomingMessage, res: import('node:http').ServerResponse) => void) {
  const hits: IncomingMessage[] = [];
  const server: Server = createServer((req, res) => {
    hits.push(req);
    handler(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, hits, port: (server.address() as AddressInfo).port };
}

describe('guarded fetch: pinned addresses and re-checked redirects', () => {
  // The origin is a name the self-hoster allowed; it resolves to loopback, where it listens.
  const ORIGIN = 'hooks.ssrf-drill.example.com';
  const OTHER = 'other.ssrf-drill.example.com';
  let origin: Awaited<ReturnType<typeof serve>>;
  let canary: Awaited<ReturnType<typeof serve>>;
  let lookups = 0;
  let rebind = false;
  let fetchOut: GuardedFetch;
  const lookup = async (hostname: string) => {
    lookups++;
    if (hostname === ORIGIN || hostname === OTHER) return [{ address: '127.0.0.1', family: 4 }];
    // First answer public (what a check sees), then loopback (what a connection would get).
    if (hostname === 'rebind.ssrf-drill.example.com') {
      const first = !rebind;
      rebind = true;
      return [{ address: first ? PUBLIC_IP : '127.0.0.1', family: 4 }];
    }
    return corpusLookup(hostname);
  };
  const guard = createUrlGuard({ allowPrivate: [ORIGIN, OTHER], lookup });

  beforeAll(async () => {
    canary = await serve((_req, res) => res.end('canary reached'));
    origin = await serve((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const to = u.searchParams.get('to');
      if (to) {
        res.writeHead(Number(u.searchParams.get('status') ?? 302), { location: to });
        return res.end();
      }
      if (u.pathname === '/big') return res.end(Buffer.alloc(2048));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ method: req.method, authorization: req.headers.authorization ?? null }));
    });
    fetchOut = createGuardedFetch(guard);
  });
  afterAll(async () => {
    await fetchOut.close();
    origin.server.close();
    canary.server.close();
  });

  const at = (host: string, path: string) => `http://${host}:${origin.port}${path}`;
  const redirectTo = (target: string, status = 302) =>
    at(ORIGIN, `/r?to=${encodeURIComponent(target)}&status=${status}`);

  it('fetches from a host FETCH_ALLOW_PRIVATE names, connecting to the address the guard resolved', async () => {
    const res = await fetchOut(at(ORIGIN, '/hello'), { headers: { authorization: 'Bearer t' } });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'GET', authorization: 'Bearer t' });
  });

  it.each(loopbackSpellings('127.0.0.1', 0).map((s) => s.name))(
    'a redirect to loopback spelled %s is refused; nothing reaches it',
    async (name) => {
      const target = loopbackSpellings('127.0.0.1', canary.port).find((s) => s.name === name)!.url;
      const err = await fetchOut(redirectTo(target)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UrlRefusedError);
      expect(canary.hits).toHaveLength(0);
    },
  );

  it('a loopback URL is refused before any connection, whatever its spelling', async () => {
    for (const s of loopbackSpellings('127.0.0.1', canary.port)) {
      await expect(fetchOut(s.url), s.name).rejects.toBeInstanceOf(UrlRefusedError);
    }
    await expect(fetchOut('http://[::1]:1/')).rejects.toBeInstanceOf(UrlRefusedError);
    expect(canary.hits).toHaveLength(0);
  });

  it('DNS rebinding: a name that answered public to the check gets no connection when it turns private', async () => {
    const url = `http://rebind.ssrf-drill.example.com:${canary.port}/`;
    expect(await guard.check(url)).toMatchObject({ ok: true });
    const before = lookups;
    const err = (await fetchOut(url).catch((e: unknown) => e)) as UrlRefusedError;
    expect(err).toBeInstanceOf(UrlRefusedError);
    expect(err.reason).toMatch(/resolves to 127\.0\.0\.1, a loopback address/);
    // The connection resolved the name itself (no cached answer from the check).
    expect(lookups).toBe(before + 1);
    expect(canary.hits).toHaveLength(0);
  });

  it('redirects are limited, and 303 turns a POST into a GET', async () => {
    const twice = redirectTo(redirectTo(at(ORIGIN, '/end')));
    await expect(fetchOut(twice, { maxRedirects: 1 })).rejects.toMatchObject({
      reason: 'more than 1 redirects',
    });
    const res = await fetchOut(twice, { maxRedirects: 2 });
    expect(res.url).toBe(at(ORIGIN, '/end'));
    const posted = await fetchOut(redirectTo(at(ORIGIN, '/end'), 303), { method: 'POST', body: '{}' });
    expect(JSON.parse(posted.body.toString())).toMatchObject({ method: 'GET' });
  });

  it('credentials do not follow a redirect to another origin', async () => {
    const same = await fetchOut(redirectTo(at(ORIGIN, '/end')), { headers: { authorization: 'Bearer t' } });
    expect(JSON.parse(same.body.toString()).authorization).toBe('Bearer t');
    const other = await fetchOut(redirectTo(at(OTHER, '/end')), { headers: { authorization: 'Bearer t' } });
    expect(JSON.parse(other.body.toString()).authorization).toBeNull();
  });

  it('an answer over the size limit is cut off', async () => {
    await expect(fetchOut(at(ORIGIN, '/big'), { maxBytes: 1024 })).rejects.toThrow(/larger than 1024 bytes/);
  });

  it('FETCH_ALLOW_PRIVATE with one address allows that address and no other', async () => {
    const one = createGuardedFetch(createUrlGuard({ allowPrivate: ['127.0.0.1'], lookup: corpusLookup }));
    try {
      const res = await one(`http://127.0.0.1:${canary.port}/allowed`);
      expect(res.body.toString()).toBe('canary reached');
      await expect(one(`http://127.0.0.2:${canary.port}/`)).rejects.toBeInstanceOf(UrlRefusedError);
    } finally {
      await one.close();
      canary.hits.length = 0;
    }
  });

  it('the drill resolver knows only its names', async () => {
    expect(Object.keys(CORPUS_DNS)).toContain('loopback.ssrf-drill.example.com');
    await expect(corpusLookup('example.org')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
