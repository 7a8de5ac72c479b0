/**
 * The SSRF corpus: URLs an attacker gives a server to make it reach inside its own network, with
 * the verdict the URL guard must reach. Shared by the guard's tests, the route tests (template
 * authoring, campaign files, sends with a media link) and the security drill (`bench -- security`).
 *
 * Nothing here is ever connected to except loopback: the DNS names resolve only through
 * `corpusLookup` (no real DNS), and the one "public" address is a documentation-free stand-in that
 * no test fetches.
 */

/** A public address for names that must be accepted (never fetched by a test). */
export const PUBLIC_IP = '93.184.215.14';

/** What the drill's resolver answers; any other name does not exist. */
export const CORPUS_DNS: Record<string, string[]> = {
  'cdn.ssrf-drill.example.com': [PUBLIC_IP],
  'loopback.ssrf-drill.example.com': ['127.0.0.1'],
  'metadata.ssrf-drill.example.com': ['169.254.169.254'],
  'private.ssrf-drill.example.com': ['10.0.0.5'],
  // One public and one private answer: the private one is enough to refuse.
  'mixed.ssrf-drill.example.com': [PUBLIC_IP, '192.168.1.20'],
  'ula.ssrf-drill.example.com': ['fd00::1'],
  'mapped.ssrf-drill.example.com': ['::ffff:10.0.0.1'],
  'minio.ssrf-drill.example.com': ['10.1.2.3'],
};

/** The drill's resolver: `CORPUS_DNS`, else "no such name" (ENOTFOUND, like getaddrinfo). */
export async function corpusLookup(hostname: string): Promise<{ address: string; family: number }[]> {
  const found = CORPUS_DNS[hostname.toLowerCase().replace(/\.$/, '')];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
}

export interface SsrfCase {
  /** What the case tries, for a test name or a drill line. */
  name: string;
  url: string;
  expect: 'refused' | 'allowed';
  /** FETCH_ALLOW_PRIVATE for this case (default: none). */
  allowPrivate?: string[];
}

const refused = (name: string, url: string, allowPrivate?: string[]): SsrfCase => ({
  name,
  url,
  expect: 'refused',
  ...(allowPrivate ? { allowPrivate } : {}),
});
const allowed = (name: string, url: string, allowPrivate?: string[]): SsrfCase => ({
  name,
  url,
  expect: 'allowed',
  ...(allowPrivate ? { allowPrivate } : {}),
});

export const SSRF_CORPUS: SsrfCase[] = [
  refused('loopback', 'http://127.0.0.1/x.jpg'),
  refused('loopback, end of range', 'https://127.255.255.254/x.jpg'),
  refused('loopback name', 'http://localhost:8080/x.jpg'),
  refused('loopback name with a trailing dot', 'http://LOCALHOST./x.jpg'),
  refused('a name under localhost', 'http://app.localhost/x.jpg'),
  refused('IPv6 loopback', 'http://[::1]/x.jpg'),
  refused('RFC 1918 10/8', 'http://10.0.0.5/x.jpg'),
  refused('RFC 1918 172.16/12', 'http://172.16.0.1/x.jpg'),
  refused('RFC 1918 192.168/16', 'https://192.168.1.1/x.jpg'),
  refused('link-local: cloud metadata', 'http://169.254.169.254/latest/meta-data/'),
  refused('IPv6 link-local', 'http://[fe80::1]/x.jpg'),
  refused('CGNAT 100.64/10', 'http://100.64.0.1/x.jpg'),
  refused('IPv6 unique-local', 'http://[fd12:3456::1]/x.jpg'),
  refused('unspecified 0.0.0.0', 'http://0.0.0.0/x.jpg'),
  refused('unspecified as 0', 'http://0/x.jpg'),
  refused('IPv6 unspecified', 'http://[::]/x.jpg'),
  refused('multicast', 'http://224.0.0.1/x.jpg'),
  refused('broadcast', 'http://255.255.255.255/x.jpg'),
  refused('reserved 240/4', 'http://240.0.0.1/x.jpg'),
  refused('IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/x.jpg'),
  refused('IPv4-mapped IPv6 metadata', 'http://[::ffff:169.254.169.254]/x.jpg'),
  refused('IPv4-mapped IPv6, long form', 'http://[0:0:0:0:0:ffff:a00:5]/x.jpg'),
  refused('IPv4-compatible IPv6', 'http://[::127.0.0.1]/x.jpg'),
  refused('NAT64 of metadata', 'http://[64:ff9b::a9fe:a9fe]/x.jpg'),
  refused('decimal host', 'http://2130706433/x.jpg'),
  refused('decimal host: metadata', 'http://2852039166/latest/meta-data/'),
  refused('octal host', 'http://0177.0.0.1/x.jpg'),
  refused('octal host: metadata', 'http://0251.0376.0251.0376/'),
  refused('hex host', 'http://0x7f.1/x.jpg'),
  refused('hex host, one number', 'http://0x7f000001/x.jpg'),
  refused('short form', 'http://127.1/x.jpg'),
  refused('short form 10.1', 'http://10.1/x.jpg'),
  refused('percent-encoded host', 'http://%31%32%37.0.0.1/x.jpg'),
  refused('trailing dot', 'http://127.0.0.1./x.jpg'),
  refused('internal name', 'http://metadata.google.internal/computeMetadata/v1/'),
  refused('mDNS name', 'http://printer.local/x.jpg'),
  refused('single-label name', 'http://intranet/x.jpg'),
  refused('DNS name resolving to loopback', 'https://loopback.ssrf-drill.example.com/x.jpg'),
  refused('DNS name resolving to metadata', 'http://metadata.ssrf-drill.example.com/latest/meta-data/'),
  refused('DNS name resolving to 10/8', 'https://private.ssrf-drill.example.com/x.jpg'),
  refused('DNS name with one private answer of two', 'https://mixed.ssrf-drill.example.com/x.jpg'),
  refused('DNS name resolving to IPv6 unique-local', 'https://ula.ssrf-drill.example.com/x.jpg'),
  refused('DNS name resolving to IPv4-mapped private', 'https://mapped.ssrf-drill.example.com/x.jpg'),
  refused('file scheme', 'file:///etc/passwd'),
  refused('gopher scheme', 'gopher://127.0.0.1:6379/_INFO'),
  refused('ftp scheme', 'ftp://cdn.ssrf-drill.example.com/x.jpg'),
  refused('credentials in the URL', 'https://user:secret@cdn.ssrf-drill.example.com/x.jpg'),
  refused('backslash parser confusion', 'https://cdn.ssrf-drill.example.com\\@127.0.0.1/x.jpg'),
  refused('FETCH_ALLOW_PRIVATE allows only its CIDR', 'http://10.0.1.5/x.jpg', ['10.0.0.0/24']),
  refused('FETCH_ALLOW_PRIVATE allows only its host', 'http://loopback.ssrf-drill.example.com/x.jpg', [
    'minio.ssrf-drill.example.com',
  ]),
  allowed('public DNS name', 'https://cdn.ssrf-drill.example.com/x.jpg'),
  allowed('public address', `https://${PUBLIC_IP}/x.jpg`),
  allowed('public IPv6 address', 'https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/x.jpg'),
  allowed('NAT64 of a public address', 'https://[64:ff9b::5db8:d70e]/x.jpg'),
  allowed('FETCH_ALLOW_PRIVATE CIDR', 'http://10.0.0.5/x.jpg', ['10.0.0.0/24']),
  allowed('FETCH_ALLOW_PRIVATE host', 'http://minio.ssrf-drill.example.com:9000/x.jpg', [
    'minio.ssrf-drill.example.com',
  ]),
];

/** The corpus cases that run with no FETCH_ALLOW_PRIVATE (what the routes see by default). */
export const DEFAULT_CORPUS = SSRF_CORPUS.filter((c) => !c.allowPrivate);
/** The FETCH_ALLOW_PRIVATE cases; their allow lists may be joined into one setting for a whole app. */
export const ALLOW_PRIVATE_CORPUS = SSRF_CORPUS.filter((c) => c.allowPrivate);
export const ALLOW_PRIVATE_SETTING = [...new Set(ALLOW_PRIVATE_CORPUS.flatMap((c) => c.allowPrivate!))].join(
  ',',
);

/**
 * Loopback spellings of one address for redirect and connect tests, where a request is really
 * made: `host` must be a loopback address a canary server listens on.
 */
export function loopbackSpellings(host: '127.0.0.1', port: number): { name: string; url: string }[] {
  return [
    { name: 'dotted', url: `http://${host}:${port}/` },
    { name: 'decimal', url: `http://2130706433:${port}/` },
    { name: 'octal', url: `http://0177.0.0.1:${port}/` },
    { name: 'hex', url: `http://0x7f.1:${port}/` },
    { name: 'short', url: `http://127.1:${port}/` },
    { name: 'IPv4-mapped IPv6', url: `http://[::ffff:127.0.0.1]:${port}/` },
    { name: 'localhost', url: `http://localhost:${port}/` },
    { name: 'DNS name resolving to loopback', url: `http://loopback.ssrf-drill.example.com:${port}/` },
  ];
}
