import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import { AppError } from './errors.ts';

/**
 * The one guard for every URL the server fetches or accepts (docs/adr/0012): http(s) only, no
 * credentials, and never an address inside our network — private, loopback, link-local (cloud
 * metadata), CGNAT, unique-local, unspecified, multicast, reserved, or one of those dressed up as
 * IPv4-mapped / IPv4-compatible / NAT64 IPv6 or as a decimal, octal or hex number (the WHATWG URL
 * parser turns `2130706433`, `0177.0.0.1`, `0x7f.1` and `127.1` into `127.0.0.1` before we look).
 * FETCH_ALLOW_PRIVATE names the hosts and CIDRs a self-hoster still wants reachable.
 */

/** Every address a name resolves to (injectable: tests make a name resolve to a private address). */
export type LookupFn = (hostname: string) => Promise<{ address: string; family: number }[]>;

export const systemLookup: LookupFn = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/** A URL or address the guard turned away; `reason` is a sentence for a person. */
export class UrlRefusedError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`Refused ${url}: ${reason}`);
    this.name = 'UrlRefusedError';
  }
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const RANGE_WORDS: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private (RFC 1918) address',
  linkLocal: 'a link-local address (where cloud metadata services live)',
  carrierGradeNat: 'a carrier-grade NAT (100.64/10) address',
  uniqueLocal: 'a unique-local IPv6 address',
  deprecatedSiteLocal: 'a site-local IPv6 address',
  unspecified: 'the unspecified address',
  multicast: 'a multicast address',
  broadcast: 'the broadcast address',
  ipv4Compatible: 'an IPv4-compatible IPv6 address',
};
const words = (range: string) => RANGE_WORDS[range] ?? `a reserved address (${range})`;

/** 64:ff9b::/96, where DNS64 puts public IPv4 addresses: judged by the address it carries. */
const NAT64 = ipaddr.parseCIDR('64:ff9b::/96');

/**
 * Why an address is not on the public internet (its range, in words), or undefined when it is.
 *
 * @example nonPublicReason('::ffff:127.0.0.1') // 'a loopback address'
 */
export function nonPublicReason(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an IP address';
  const ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv4') {
    const range = (ip as ipaddr.IPv4).range();
    return range === 'unicast' ? undefined : words(range);
  }
  const v6 = ip as ipaddr.IPv6;
  if (v6.isIPv4MappedAddress()) return nonPublicReason(v6.toIPv4Address().toString());
  if (v6.match(NAT64)) {
    const embedded = ipaddr.fromByteArray(v6.toByteArray().slice(12)).toString();
    const inner = nonPublicReason(embedded);
    return inner ? `a NAT64 address of ${embedded}, ${inner}` : undefined;
  }
  const range = v6.range();
  if (range !== 'unicast') return words(range);
  // ::a.b.c.d (deprecated): some stacks still route it to the IPv4 address it carries.
  if (v6.parts.slice(0, 6).every((p) => p === 0)) return words('ipv4Compatible');
  return undefined;
}

/** Names that never leave the local network (RFC 6761, 6762, 8375, and ICANN's `.internal`). */
const LOCAL_NAMES = /(^|\.)(localhost|local|internal|home\.arpa)$/;
/** Characters other URL parsers read differently from WHATWG (`a.b\@10.0.0.1`): refused outright. */
const ambiguous = (raw: string) =>
  /[\\\s]/.test(raw) || [...raw].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);

export interface UrlGuardOptions {
  /** FETCH_ALLOW_PRIVATE: host names and IPs/CIDRs still allowed although not public. */
  allowPrivate?: readonly string[];
  lookup?: LookupFn;
  /** How long one DNS lookup may take (getaddrinfo has no timeout of its own). */
  lookupTimeoutMs?: number;
}

export interface CheckOptions {
  /**
   * What a name that does not resolve here means. `refuse` (the default) for anything the server
   * will connect to. `accept` for links Meta fetches, not us: our resolver's view (an outage,
   * split-horizon DNS) must not decide whether a public link is valid, and any later fetch of ours
   * goes through `guardedFetch`, which resolves again and refuses then.
   */
  onLookupFailure?: 'refuse' | 'accept';
}

export interface UrlGuard {
  /** Parses and judges a URL without DNS: what can be refused from the text alone. */
  precheck(raw: string): UrlVerdict;
  /** The full verdict: the text, then every address the host resolves to. */
  check(raw: string, o?: CheckOptions): Promise<UrlVerdict>;
  /** Resolves a host for a connection, refusing it when any address is not allowed. */
  resolveForConnect(hostname: string): Promise<{ address: string; family: number }[]>;
  /**
   * Checks links someone gave us and throws one 400 naming every refused field.
   *
   * @example await guard.assertLinks([{ path: ['content', 'image', 'link'], url }], { onLookupFailure: 'accept' })
   */
  assertLinks(links: FoundLink[], o?: CheckOptions): Promise<void>;
}

export interface FoundLink {
  path: (string | number)[];
  url: string;
}

/** How long a DNS answer is reused when judging accepted links (a campaign names one host 100k times). */
const ANSWER_TTL_MS = 60_000;
const MAX_ANSWERS = 1000;

export function createUrlGuard(opts: UrlGuardOptions = {}): UrlGuard {
  const lookup = opts.lookup ?? systemLookup;
  const lookupTimeoutMs = opts.lookupTimeoutMs ?? 3000;
  const allowedHosts = new Set<string>();
  const allowedNets: [ipaddr.IPv4 | ipaddr.IPv6, number][] = [];
  for (const entry of opts.allowPrivate ?? []) {
    const e = entry.trim().toLowerCase();
    if (ipaddr.isValidCIDR(e)) allowedNets.push(ipaddr.parseCIDR(e));
    else if (ipaddr.isValid(e)) {
      const ip = ipaddr.process(e);
      allowedNets.push([ip, ip.kind() === 'ipv4' ? 32 : 128]);
    } else if (/^[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?$/.test(e)) allowedHosts.add(e.replace(/\.$/, ''));
    // Config is read at boot: a typo must stop the server, not silently allow nothing (or more).
    else throw new Error(`FETCH_ALLOW_PRIVATE: “${entry}” is neither a host name nor an IP address or CIDR`);
  }

  /** An address this server may reach: public, or inside a CIDR the self-hoster allowed. */
  function refusalOf(address: string): string | undefined {
    const why = nonPublicReason(address);
    if (!why) return undefined;
    const ip = ipaddr.process(address);
    const allowed = allowedNets.some(([net, bits]) => net.kind() === ip.kind() && ip.match(net, bits));
    return allowed ? undefined : why;
  }

  const answers = new Map<string, { at: number; answer: Promise<{ address: string; family: number }[]> }>();
  function resolve(host: string, cached: boolean) {
    const hit = cached ? answers.get(host) : undefined;
    if (hit && Date.now() - hit.at < ANSWER_TTL_MS) return hit.answer;
    let timer: NodeJS.Timeout | undefined;
    const answer = Promise.race([
      lookup(host),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`DNS lookup of ${host} timed out`)), lookupTimeoutMs);
      }),
    ]).finally(() => clearTimeout(timer));
    if (cached) {
      if (answers.size >= MAX_ANSWERS) answers.delete(answers.keys().next().value!);
      answers.set(host, { at: Date.now(), answer });
      answer.catch(() => {});
    }
    return answer;
  }

  function precheck(raw: string): UrlVerdict {
    if (typeof raw !== 'string' || raw.length > 2048) return { ok: false, reason: 'is not a valid URL' };
    if (ambiguous(raw)) {
      return { ok: false, reason: 'holds a backslash, a space or a control character' };
    }
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      return { ok: false, reason: 'is not a valid URL' };
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return { ok: false, reason: 'must be an http or https URL' };
    }
    if (url.username || url.password) return { ok: false, reason: 'must not carry a user name or password' };
    const host = hostOf(url);
    if (allowedHosts.has(host)) return { ok: true, url };
    if (ipaddr.isValid(host)) {
      const why = refusalOf(host);
      return why ? { ok: false, reason: `points at ${host}, ${why}` } : { ok: true, url };
    }
    if (!host.includes('.') || LOCAL_NAMES.test(host)) {
      return { ok: false, reason: `points at ${host}, a name of the local network` };
    }
    return { ok: true, url };
  }

  async function check(raw: string, o: CheckOptions = {}): Promise<UrlVerdict> {
    const first = precheck(raw);
    if (!first.ok) return first;
    const host = hostOf(first.url);
    if (allowedHosts.has(host) || ipaddr.isValid(host)) return first;
    let addresses: { address: string }[];
    try {
      addresses = await resolve(host, true);
    } catch {
      return o.onLookupFailure === 'accept'
        ? first
        : { ok: false, reason: `the host ${host} could not be resolved` };
    }
    for (const a of addresses) {
      const why = refusalOf(a.address);
      if (why) return { ok: false, reason: `${host} resolves to ${a.address}, ${why}` };
    }
    return first;
  }

  async function resolveForConnect(hostname: string) {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    // Never cached: the answer checked here is the one the socket connects to (no rebinding window).
    const addresses = await resolve(host, false);
    if (!addresses.length) throw new UrlRefusedError(host, `the host ${host} has no address`);
    if (allowedHosts.has(host)) return addresses;
    for (const a of addresses) {
      const why = refusalOf(a.address);
      if (why) throw new UrlRefusedError(host, `${host} resolves to ${a.address}, ${why}`);
    }
    return addresses;
  }

  async function assertLinks(links: FoundLink[], o: CheckOptions = {}) {
    const refused: { path: (string | number)[]; message: string }[] = [];
    for (const l of links) {
      const v = await check(l.url, o);
      if (!v.ok) refused.push({ path: l.path, message: `link ${v.reason}` });
    }
    if (!refused.length) return;
    throw new AppError(
      'VALIDATION_FAILED',
      refused.map((r) => `${r.path.join('.')}: ${r.message}`).join('; '),
      { details: refused },
    );
  }

  return { precheck, check, resolveForConnect, assertLinks };
}

/** The URL's host as the guard compares it: no IPv6 brackets, no trailing dot, lower case. */
function hostOf(url: URL): string {
  return url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

/**
 * Every `link` in a value (message content, template parameters), with its path: media by link is
 * the one place Meta's message shapes carry a URL to fetch.
 *
 * @example collectLinks({ type: 'image', image: { link: 'https://x.example/a.jpg' } }) // [{ path: ['image', 'link'], url: … }]
 */
export function collectLinks(value: unknown, path: (string | number)[] = []): FoundLink[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => collectLinks(v, [...path, i]));
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([k, v]) =>
    k === 'link' && typeof v === 'string' ? [{ path: [...path, k], url: v }] : collectLinks(v, [...path, k]),
  );
}
