import type { CreateCampaignBody } from '@openwaba/contracts';
import { collectLinks, type FoundLink, type UrlGuard, type UrlVerdict } from '../lib/url-guard.ts';

/** A template variable that takes a media header: its value is a link or an uploaded media id. */
const MEDIA_KEY = /^header\.(image|video|document)$/;
/** A value written as a URL of any scheme (`ftp:`, `file:`…), which a media id never is. */
const LOOKS_LIKE_URL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Media links written into the campaign's mapping (`{ fixed: 'https://…' }`): one link for every
 * recipient, so a refused one is the request's fault — a 400 naming the mapping key.
 */
export function fixedMediaLinks(templates: CreateCampaignBody['templates']): FoundLink[] {
  return templates.flatMap((t, i) =>
    Object.entries(t.mapping).flatMap(([key, src]) =>
      MEDIA_KEY.test(key) && 'fixed' in src && LOOKS_LIKE_URL.test(src.fixed)
        ? [{ path: ['templates', i, 'mapping', key, 'fixed'], url: src.fixed }]
        : [],
    ),
  );
}

/**
 * Recipients whose media link (from a file's `{{Media}}` column or a recipient's variables) points
 * inside our network become invalid with the reason, like a bad phone: the rest of the audience
 * goes ahead. Meta fetches these links, not us, so a name our resolver cannot answer is left to it.
 */
export async function refuseInwardMediaLinks(
  recipients: {
    state: 'pending' | 'invalid';
    params: unknown[] | null;
    reason: string | null;
    templateIndex: number;
  }[],
  mappings: Record<string, unknown>[],
  guard: UrlGuard,
): Promise<void> {
  // A file names the same picture on many rows: one verdict per link.
  const verdicts = new Map<string, Promise<UrlVerdict>>();
  for (const r of recipients) {
    if (r.state !== 'pending' || !r.params) continue;
    for (const link of mediaLinksIn(r.params)) {
      let verdict = verdicts.get(link.url);
      if (!verdict) {
        verdict = guard.check(link.url, { onLookupFailure: 'accept' });
        verdicts.set(link.url, verdict);
      }
      const v = await verdict;
      if (v.ok) continue;
      r.state = 'invalid';
      r.params = null;
      r.reason = `${whereFrom(mappings[r.templateIndex] ?? {})}: link ${v.reason}`;
      break;
    }
  }
}

/**
 * The links of rendered template parameters, and media "ids" that are URLs of another scheme (a
 * `{{Media}}` cell that is not http(s) is taken as an uploaded media id): the guard refuses those.
 */
function mediaLinksIn(params: unknown[]): FoundLink[] {
  const links = collectLinks(params);
  for (const c of params as { parameters?: Record<string, unknown>[] }[]) {
    for (const p of c.parameters ?? []) {
      const id = (p[String(p.type)] as { id?: unknown } | undefined)?.id;
      if (typeof id === 'string' && LOOKS_LIKE_URL.test(id)) links.push({ path: [], url: id });
    }
  }
  return links;
}

/** `header.image (column {{Media}})`: the variable and where its value came from. */
function whereFrom(mapping: Record<string, unknown>): string {
  const [key, src] = Object.entries(mapping).find(([k]) => MEDIA_KEY.test(k)) ?? ['header.media', undefined];
  const column = (src as { column?: unknown } | undefined)?.column;
  return typeof column === 'string' ? `${key} (column ${column})` : key;
}
