import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { customerSends, type Harness } from './harness.ts';

/**
 * XSS corpus, rendered in Chromium: script payloads go wherever a customer, a template author or a
 * member can put text — customers' profile names, message text, document file names and captions,
 * template text (synced from Meta), contacts' names, fields, tags and notes, quick replies, teams,
 * segments, campaigns, the organisation's name, notifications (with a `javascript:` link) and import
 * file names — then every page of the dashboard's router is opened, with each seeded id for pages that
 * take one. Each payload sets `window.__xss`; the drill also counts live DOM nodes that could run
 * script (an `on…` attribute, a `javascript:`/`data:` link or source, an iframe `srcdoc`) and dialogs.
 */
export const XSS_PAYLOADS = [
  '<img src=x onerror=window.__xss=1>',
  '<script>window.__xss=1</script>',
  '<svg onload=window.__xss=1>',
  '<svg><script>window.__xss=1</script></svg>',
  '"><img src=x onerror=window.__xss=1>',
  "'><svg/onload=window.__xss=1>",
  '</textarea><img src=x onerror=window.__xss=1>',
  '<iframe srcdoc="<script>parent.__xss=1</script>"></iframe>',
  '<a href="javascript:window.__xss=1">click</a>',
  'javascript:window.__xss=1',
  // A template-literal trick: meant to stay this literal text.
  // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is the literal text
  '${window.__xss=1}',
  "{{constructor.constructor('window.__xss=1')()}}",
  '<details open ontoggle=window.__xss=1>',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__xss=1>',
  '[click](javascript:window.__xss=1)',
];

export interface XssResult {
  payloads: number;
  placements: string[];
  pages: string[];
  /** Pages where the canary was set (a payload ran). */
  executed: string[];
  /** Live nodes that could run script, by page. */
  dangerousNodes: { page: string; html: string }[];
  dialogs: number;
  /** Pages that did not render (an error, or the sign-in page). */
  broken: string[];
  /** Pages that show at least one payload as text (the corpus reached the screen). */
  rendered: string[];
  /** A payload put into a blank page as HTML sets the canary (the payloads are live, the canary is read right). */
  canaryWorks: boolean;
}

/** Routes of the dashboard, read from its router (so a new page is visited without editing the drill). */
export function dashboardRoutes(): string[] {
  const src = readFileSync(new URL('../src/app.tsx', import.meta.url), 'utf8');
  const stack: string[] = [];
  const out: string[] = [];
  for (const raw of src.split('\n')) {
    // `element={<Page />}` would read as the end of the tag.
    const line = raw.replace(/element=\{<[^}]*\}/g, '');
    if (/<\/Route>/.test(line)) stack.pop();
    const m = /<Route\b[^>]*?\bpath="([^"]+)"[^>]*?(\/?)>/.exec(line);
    const open = /<Route\b(?![^>]*\/>)[^>]*>/.test(line);
    if (m) {
      const full = [...stack, m[1]!].join('/').replace(/^\/+/, '');
      if (!full.includes('*')) out.push(`/${full}`);
      if (open) stack.push(m[1]!);
    } else if (open) stack.push('');
  }
  return [...new Set(out)];
}

const CANARY = () => {
  const w = window as unknown as { __xss?: number; __dangerous?: string[] };
  const found: string[] = [];
  for (const el of document.querySelectorAll('*')) {
    for (const a of el.getAttributeNames()) {
      const v = el.getAttribute(a) ?? '';
      if (
        a.startsWith('on') ||
        (['href', 'src', 'action', 'formaction', 'xlink:href'].includes(a) &&
          /^\s*(javascript|data:text\/html)/i.test(v)) ||
        (a === 'srcdoc' && el.tagName === 'IFRAME')
      )
        found.push(el.outerHTML.slice(0, 200));
    }
  }
  return { xss: w.__xss ?? 0, dangerous: found };
};

export async function runXssDrill(
  h: Harness,
  opts: { payloads?: string[]; pagesPerRoute?: number } = {},
): Promise<XssResult> {
  const payloads = opts.payloads ?? XSS_PAYLOADS;
  const perRoute = opts.pagesPerRoute ?? Number.POSITIVE_INFINITY;
  const { page, server } = h;
  const base = server.url;
  const result: XssResult = {
    payloads: payloads.length,
    placements: [],
    pages: [],
    executed: [],
    dangerousNodes: [],
    dialogs: 0,
    broken: [],
    rendered: [],
    canaryWorks: false,
  };
  // On a blank page (no Content-Security-Policy): the payload itself is live.
  const blank = await page.context().browser()!.newPage();
  await blank.goto('about:blank');
  result.canaryWorks = await blank.evaluate(async (html) => {
    const div = document.createElement('div');
    div.innerHTML = html;
    document.body.append(div);
    await new Promise((r) => setTimeout(r, 200));
    const w = window as unknown as { __xss?: number };
    const ran = w.__xss === 1;
    return ran;
  }, payloads[0]!);
  await blank.close();
  page.on('dialog', (d) => {
    result.dialogs++;
    void d.dismiss();
  });
  const api = async (method: 'post' | 'patch' | 'put', path: string, data: unknown) => {
    const res = await page.request[method](`${base}${path}`, { data });
    if (res.status() >= 300)
      throw new Error(`xss drill: ${method} ${path} answered ${res.status()}: ${await res.text()}`);
    return res.json();
  };
  const placed = (what: string) => result.placements.push(what);
  const ids: Record<string, string[]> = {
    contacts: [],
    templates: [],
    campaigns: [],
    imports: [],
    conversations: [],
    flows: [],
    runs: [],
  };
  const short = (p: string, max: number) => p.slice(0, max);

  // Customers (through the simulator, signed webhooks): profile names, text, document names and captions.
  for (const [i, p] of payloads.entries()) {
    const waId = `4477009${String(10000 + i).padStart(5, '0')}`;
    await customerSends(h, waId, { type: 'text', name: p, text: `${p} — message ${i}` });
    await customerSends(h, waId, { type: 'document', filename: `${p}.pdf`, caption: p });
  }
  placed('customer profile names');
  placed('message text');
  placed('document file names and captions');

  // Templates as Meta holds them, synced.
  const me = await (await page.request.get(`${base}/api/v1/me`)).json();
  for (const [i, p] of payloads.entries()) {
    const res = await fetch(`${h.simulatorUrl}/_sim/templates`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        waba_id: '200000000000001',
        name: `xss_probe_${i}`,
        language: 'en_US',
        category: 'UTILITY',
        components: [
          { type: 'HEADER', format: 'TEXT', text: short(p, 60) },
          { type: 'BODY', text: `${p} {{1}}`, example: { body_text: [[p]] } },
          { type: 'FOOTER', text: short(p, 60) },
          { type: 'BUTTONS', buttons: [{ type: 'QUICK_REPLY', text: short(p, 25) }] },
        ],
      }),
    });
    if (res.status !== 201)
      throw new Error(`xss drill: simulator template ${i}: ${res.status} ${await res.text()}`);
  }
  await api('post', '/api/v1/templates/sync', {});
  placed('template header, body, footer and button text');

  // Contacts, tags, fields, notes, quick replies, teams, segments, campaigns, the organisation.
  await api('post', '/api/v1/fields', {
    key: 'xss_note',
    label: short(payloads[0]!, 60),
    type: 'text',
  });
  for (const [i, p] of payloads.entries()) {
    const tag = await api('post', '/api/v1/tags', { name: `${short(p, 40)} ${i}` });
    const c = await api('post', '/api/v1/contacts', {
      phone: `+4474001${String(20000 + i).padStart(5, '0')}`,
      name: p,
      fields: { xss_note: p },
      tag_ids: [tag.id],
    });
    ids.contacts!.push(c.id);
    await api('post', '/api/v1/quick-replies', { shortcut: `xss-${i}`, body: p });
    await api('post', '/api/v1/segments', { name: `${short(p, 150)} ${i}`, filter: { tag_ids: [tag.id] } });
  }
  placed('contact names, fields and tags; quick replies; segments');
  await api('post', '/api/v1/teams', { name: short(payloads[1]!, 80), member_ids: [me.user.id] });
  placed('team name');
  await api('patch', '/api/v1/org', { name: short(payloads[0]!, 100) });
  placed('organisation name');

  const conversations = (await (await page.request.get(`${base}/api/v1/conversations?limit=100`)).json())
    .data as {
    id: string;
  }[];
  for (const c of conversations) ids.conversations!.push(c.id);
  for (const c of conversations.slice(0, 3))
    for (const p of payloads) await api('post', `/api/v1/conversations/${c.id}/notes`, { body: p });
  placed('conversation notes');

  const templates = (await (await page.request.get(`${base}/api/v1/templates`)).json()).data as {
    id: string;
    name: string;
  }[];
  for (const tpl of templates) ids.templates!.push(tpl.id);
  const numberId = (await (await page.request.get(`${base}/api/v1/numbers`)).json()).data[0].id;
  const usable = templates.find((x) => x.name === 'order_update');
  if (usable) {
    for (const p of payloads.slice(0, 4)) {
      const camp = await api('post', '/api/v1/campaigns', {
        name: short(p, 200),
        number_id: numberId,
        audience: { kind: 'recipients', recipients: [{ phone: '+447400100999' }] },
        templates: [{ template_id: usable.id, mapping: { 'body.1': { fixed: p }, 'body.2': { fixed: p } } }],
      });
      ids.campaigns!.push(camp.id);
    }
    placed('campaign names and fixed values');
  }
  // Automation: rule names, keywords and replies; a schedule's names and messages; flows whose nodes
  // hold the payloads, each with a test run whose transcript shows them.
  for (const [i, p] of payloads.slice(0, 4).entries()) {
    await api('post', '/api/v1/automation/rules', {
      name: `${short(p, 90)} ${i}`,
      match: { kind: 'contains', patterns: [short(p, 300)] },
      actions: [
        { type: 'reply_text', text: p },
        { type: 'add_tags', tags: [`${short(p, 50)} ${i}`] },
      ],
    });
    const flow = await api('post', '/api/v1/automation/flows', {
      name: `${short(p, 90)} ${i}`,
      description: short(p, 1000),
      graph: {
        nodes: [
          { id: 't', type: 'trigger', position: { x: 0, y: 0 }, data: { kind: 'api' } },
          { id: 's', type: 'send_text', position: { x: 280, y: 0 }, data: { text: p } },
          {
            id: 'b',
            type: 'send_buttons',
            position: { x: 560, y: 0 },
            data: { buttons: { body: p, buttons: [{ id: 'x', title: short(p, 20) }] } },
          },
          { id: 'e', type: 'end', position: { x: 840, y: 0 }, data: {} },
        ],
        edges: [
          { id: '1', source: 't', target: 's' },
          { id: '2', source: 's', target: 'b' },
          { id: '3', source: 'b', target: 'e' },
        ],
      },
    });
    ids.flows!.push(flow.id);
    const run = await api('post', `/api/v1/automation/flows/${flow.id}/test`, {});
    ids.runs!.push(run.id);
  }
  await api('post', '/api/v1/automation/hours', {
    name: short(payloads[0]!, 100),
    weekly: { mon: [{ from: '09:00', to: '17:00' }] },
    closures: [{ date: '2030-01-01', name: short(payloads[1] ?? payloads[0]!, 100) }],
    away_message: payloads[2] ?? payloads[0]!,
    welcome_message: payloads[3] ?? payloads[0]!,
  });
  placed('automation rules, flows (node texts, test transcripts) and business hours');
  for (const p of payloads.slice(0, 3)) {
    const res = await page.request.post(
      `${base}/api/v1/contacts/imports?filename=${encodeURIComponent(`${p}.csv`)}`,
      {
        data: Buffer.from(`Phone,Name\n+447400100998,${p.replaceAll(',', ' ')}\n`),
        headers: { 'content-type': 'text/csv' },
      },
    );
    if (res.status() === 201) ids.imports!.push((await res.json()).id);
  }
  placed('import file names and cells');
  for (const p of payloads)
    await server.app.services.notifications.notify(
      { orgId: me.org.id, userIds: [me.user.id] },
      { type: 'member.joined', title: p, message: p, actionUrl: 'javascript:window.__xss=1' },
    );
  placed('notifications (title, message, javascript: action link)');

  // Every page, each id for pages that take one; the bell opened on the last one.
  const urls: string[] = [];
  const PARAMS: Record<string, string[]> = {
    inbox: ids.conversations!.slice(0, 8),
    contacts: ids.contacts!,
    templates: ids.templates!.slice(0, 20),
    campaigns: ids.campaigns!,
    imports: ids.imports!,
    flows: ids.flows!,
    runs: ids.runs!,
  };
  for (const route of dashboardRoutes()) {
    if (route === '/login' || route === '/accept-invitation') continue;
    const param = /\/:(\w+)\??$/.exec(route);
    const plain = route.replace(/\/:\w+\??$/, '');
    if (!param) urls.push(route);
    else {
      const kind = plain.split('/').at(-1)!;
      if (route.endsWith('?')) urls.push(plain);
      for (const id of (PARAMS[kind] ?? []).slice(0, perRoute)) urls.push(`${plain}/${id}`);
    }
  }
  for (const url of urls) {
    await visit(page, `${base}${url}`, url, result);
  }
  const bell = page.getByTestId('bell');
  if (await bell.count()) {
    await bell.click();
    await page.waitForTimeout(500);
    const links = page.getByRole('dialog', { name: 'Notifications' }).getByRole('link');
    if (await links.count())
      await links
        .first()
        .click({ timeout: 2000 })
        .catch(() => {});
    await check(page, 'bell (opened, first notification clicked)', result);
  }
  // Signed out: the invitation page shows the organisation's name.
  const inv = await api('post', '/api/v1/invitations', { email: 'xss-invitee@example.com', role: 'agent' });
  const fresh = await page.context().browser()!.newPage();
  fresh.on('dialog', (d) => {
    result.dialogs++;
    void d.dismiss();
  });
  await visit(fresh, `${base}/accept-invitation?token=${inv.token}`, '/accept-invitation', result, false);
  await fresh.close();
  return result;
}

async function visit(page: Page, url: string, name: string, result: XssResult, signedIn = true) {
  result.pages.push(name);
  try {
    await page.goto(url, { waitUntil: 'networkidle', timeout: 20_000 });
  } catch {
    // A page that keeps a socket open never reaches network idle; what it rendered is checked anyway.
  }
  await page.waitForTimeout(300);
  if (signedIn && new URL(page.url()).pathname === '/login') result.broken.push(name);
  await check(page, name, result);
}

async function check(page: Page, name: string, result: XssResult, payloads = XSS_PAYLOADS) {
  const { xss, dangerous } = await page.evaluate(CANARY);
  if (xss) result.executed.push(name);
  const text = await page.evaluate(() => document.body.textContent ?? '');
  if (payloads.some((p) => text.includes(p))) result.rendered.push(name);
  for (const html of dangerous) result.dangerousNodes.push({ page: name, html });
}
