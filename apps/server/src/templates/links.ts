import type { CreateTemplateBody } from '@openwaba/contracts';
import type { FoundLink } from '../lib/url-guard.ts';

/** A value written as a URL (`scheme:`…), as opposed to an upload handle such as `4::aW1h…`. */
const LOOKS_LIKE_URL = /^[a-z][a-z0-9+.-]*:/i;

/**
 * The links of an authored template that Meta fetches or shows: a media header's sample (an upload
 * handle, or a link to the sample file) and URL buttons (their `{{1}}` filled with a stand-in, since
 * only the end of such a link varies).
 */
export function authoredLinks(body: CreateTemplateBody): FoundLink[] {
  const links: FoundLink[] = [];
  if (body.header && 'example_handle' in body.header && LOOKS_LIKE_URL.test(body.header.example_handle)) {
    links.push({ path: ['header', 'example_handle'], url: body.header.example_handle });
  }
  (body.buttons ?? []).forEach((b, i) => {
    if (b.type === 'URL' && b.url) {
      links.push({ path: ['buttons', i, 'url'], url: b.url.replace(/\{\{[^}]*\}\}/g, 'x') });
    }
  });
  return links;
}
