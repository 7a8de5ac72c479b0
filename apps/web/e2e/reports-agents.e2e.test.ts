import type { AgentsReport, ReportOverview } from '@openwaba/contracts';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

// Reports → Agents with figures made through the public seams only: customers write through the
// simulator, two agents of a team answer (one in the inbox page, one through the API), a note, a
// resolution, a reopen by the customer's next message, the owner's reply, and a keyword rule's
// automated reply and the sandbox AI's answer that must not count. Screenshots: test-output/screenshots/reports-4*.png.

const OWNER = { email: 'owner@agents.example', password: 'browser agents password' };
// Not the sandbox's own customers' numbers (they talk too, and new conversations are assigned in turn).
const MAYA = { wa_id: '447700900871', name: 'Maya Lind' };
const NOAH = { wa_id: '447700900872', name: 'Noah Berg' };

/** "1 min 5 s", "42 s", "2 h 3 min", "1 d 4 h" back to seconds (an independent reading of the page). */
function seconds(words: string) {
  const unit: Record<string, number> = { d: 86_400, h: 3600, min: 60, s: 1 };
  const parts = [...words.matchAll(/(\d+) (d|h|min|s)\b/g)];
  expect(parts.map((p) => p[0]).join(' '), `"${words}" is a duration in words`).toBe(words.trim());
  return parts.reduce((sum, [, n, u]) => sum + Number(n) * unit[u!]!, 0);
}

const cells = async (row: Locator) => (await row.locator('td, th').allTextContents()).map((t) => t.trim());

describe.skipIf(!hasChromium)('reports: agents and teams', () => {
  let h: Harness;
  let base: string;
  const contexts: BrowserContext[] = [];
  let asha: Page;
  let ben: Page;
  let ids: { asha: string; ben: string; owner: string };
  let ownerName = '';
  let frontDesk = '';
  let nightShift = '';
  let mayaWrote = 0;

  async function agent(email: string, name: string) {
    const inv = await h.page.request.post(`${base}/api/v1/invitations`, { data: { email, role: 'agent' } });
    expect(inv.status(), await inv.text()).toBe(201);
    const { token } = (await inv.json()) as { token: string };
    const password = `${name} agents password`;
    const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password, name }),
    });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
    contexts.push(context);
    const page = await context.newPage();
    await signIn(page, base, { email, password });
    const me = (await (await page.request.get(`${base}/api/v1/me`)).json()) as { user: { id: string } };
    return { page, id: me.user.id };
  }

  /** An API call with `page`'s session (its request context shares the browser's cookies). */
  async function call(page: Page, method: 'post' | 'put', path: string, data: unknown) {
    const res = await page.request[method](`${base}${path}`, { data });
    expect(res.status(), `${method} ${path}: ${await res.text()}`).toBeLessThan(300);
    return (await res.json()) as { id: string };
  }

  async function conversationOf(waId: string) {
    let id: string | undefined;
    await expect
      .poll(async () => {
        const res = await h.page.request.get(`${base}/api/v1/conversations?search=${waId}`);
        id = ((await res.json()) as { data: { id: string }[] }).data[0]?.id;
        return id;
      })
      .toBeTruthy();
    return id!;
  }

  /** The thread's messages, oldest first (outbound with their source). */
  async function messages(conversationId: string) {
    const res = await h.page.request.get(`${base}/api/v1/conversations/${conversationId}/messages?limit=50`);
    expect(res.status()).toBe(200);
    return ((await res.json()) as { data: { direction: string; source?: string | null }[] }).data;
  }

  beforeAll(async () => {
    h = await startHarness({ ...OWNER, org: 'Fjord Coffee' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    await signIn(h.page, base, OWNER);
    // Maya writes first: Asha answers her last, after a minute, so a first response reads "1 min …".
    await customerSends(h, MAYA.wa_id, { type: 'text', name: MAYA.name, text: 'Where is my order #4411?' });
    mayaWrote = Date.now();
    const a = await agent('asha@agents.example', 'Asha Rao');
    const b = await agent('ben@agents.example', 'Ben Ito');
    asha = a.page;
    ben = b.page;
    const me = (await (await h.page.request.get(`${base}/api/v1/me`)).json()) as {
      user: { id: string; name: string | null; email: string };
    };
    ids = { asha: a.id, ben: b.id, owner: me.user.id };
    ownerName = me.user.name || me.user.email;
    frontDesk = (
      await call(h.page, 'post', '/api/v1/teams', { name: 'Front desk', member_ids: [a.id, b.id] })
    ).id;
    nightShift = (await call(h.page, 'post', '/api/v1/teams', { name: 'Night shift', member_ids: [b.id] }))
      .id;
    // A keyword rule answers "price" by itself: an automated reply, no agent's.
    await call(h.page, 'post', '/api/v1/automation/rules', {
      name: 'Prices',
      match: { kind: 'contains', patterns: ['price'] },
      actions: [{ type: 'reply_text', text: 'Our prices are on fjord.example/prices' }],
    });
  }, 180_000);
  afterAll(async () => {
    for (const c of contexts) await c.close();
    await h?.stop();
  });

  it('counts agents’ replies, notes, first responses and resolutions, not the automated reply', async () => {
    // Noah asks for a price: the rule answers at once.
    await customerSends(h, NOAH.wa_id, {
      type: 'text',
      name: NOAH.name,
      text: 'What is the price of a V60?',
    });
    const noah = await conversationOf(NOAH.wa_id);
    await expect
      .poll(async () =>
        (await messages(noah)).some((m) => m.direction === 'out' && m.source === 'automation'),
      )
      .toBe(true);
    // Ben takes it, answers twice, writes a note and resolves it (through the API, as a script of his
    // would); a resolution is credited to the assignee.
    await call(ben, 'post', `/api/v1/conversations/${noah}/assign`, { assignee_id: ids.ben });
    await call(ben, 'post', `/api/v1/conversations/${noah}/reply`, {
      content: { type: 'text', text: { body: 'A V60 is £24, the filters £6.' } },
    });
    await call(ben, 'post', `/api/v1/conversations/${noah}/reply`, {
      content: { type: 'text', text: { body: 'Shipping is free over £30.' } },
    });
    await call(ben, 'post', `/api/v1/conversations/${noah}/notes`, { body: 'Asked about V60 prices' });
    await call(ben, 'post', `/api/v1/conversations/${noah}/status`, { status: 'resolved' });
    // Noah writes again (a second later than the resolution, WhatsApp's timestamps are in seconds):
    // a new episode, which the owner answers.
    await new Promise((r) => setTimeout(r, 1500));
    await customerSends(h, NOAH.wa_id, { type: 'text', text: 'Do you have paper filters in white?' });
    await expect
      .poll(async () => {
        const res = await h.page.request.get(`${base}/api/v1/conversations/${noah}`);
        return ((await res.json()) as { status: string }).status;
      })
      .toBe('open');
    await call(h.page, 'post', `/api/v1/conversations/${noah}/reply`, {
      content: { type: 'text', text: { body: 'Yes, white and brown.' } },
    });

    // Asha answers Maya in the inbox a minute after she wrote, notes it and resolves it there.
    const wait = mayaWrote + 62_000 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const maya = await conversationOf(MAYA.wa_id);
    await call(asha, 'post', `/api/v1/conversations/${maya}/assign`, { assignee_id: ids.asha });
    await asha.goto(`${base}/inbox`);
    await asha
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link', { name: new RegExp(MAYA.name) })
      .click({ timeout: 20_000 });
    const thread = asha.getByRole('log', { name: 'Messages' });
    await thread.getByText('Where is my order #4411?', { exact: true }).waitFor();
    await asha.getByLabel('Reply', { exact: true }).fill('It left our roastery this morning.');
    await asha.getByRole('button', { name: 'Send', exact: true }).click();
    await thread.getByText('It left our roastery this morning.', { exact: true }).waitFor();
    await asha.getByRole('button', { name: 'Contact details' }).click();
    const panel = asha.getByRole('complementary', { name: 'Contact details' });
    await panel.getByLabel('New note').fill('Tracking sent by email too');
    await panel.getByRole('button', { name: 'Add note' }).click();
    await panel.getByRole('list', { name: 'Notes' }).getByText('Tracking sent by email too').waitFor();
    await panel.getByRole('button', { name: 'Close details' }).click();
    await asha.getByLabel('Status', { exact: true }).selectOption({ label: 'Resolved' });
    await expect
      .poll(async () => {
        const res = await h.page.request.get(`${base}/api/v1/conversations/${maya}`);
        return ((await res.json()) as { status: string }).status;
      })
      .toBe('resolved');

    // The sandbox's AI answers customers by itself too: none of its replies counts either.
    const sources = [...(await messages(maya)), ...(await messages(noah))]
      .filter((m) => m.direction === 'out')
      .map((m) => m.source);
    expect(sources).toEqual(expect.arrayContaining(['ai', 'automation']));
    expect(sources.filter((x) => x === 'inbox')).toHaveLength(4);

    // The fold has counted everything: the API's figures are exactly what happened.
    await expect
      .poll(async () => {
        const r = await agentsReport();
        return r.agents.map((x) => [x.name, x.handled, x.replies, x.notes, x.resolutions]);
      })
      .toEqual([
        ['Asha Rao', 1, 1, 1, 1],
        ['Ben Ito', 1, 2, 1, 1],
        [ownerName, 1, 1, 0, 0],
      ]);
  }, 180_000);

  /** The agents report of the days around now (whatever the organisation's timezone). */
  async function agentsReport(team?: string) {
    const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);
    const res = await h.page.request.get(
      `${base}/api/v1/reports/agents?from=${day(-1)}&to=${day(1)}${team ? `&team_id=${team}` : ''}`,
    );
    expect(res.status(), await res.text()).toBe(200);
    return (await res.json()) as AgentsReport;
  }

  it('shows them on Reports → Agents: per agent, per team, per day, durations in words', async () => {
    const { page } = h;
    await page.goto(`${base}/reports`);
    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Agents' }).click();
    await page.waitForURL(/\/reports\/agents/);
    const today = await page.getByLabel('To', { exact: true }).inputValue();
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const res = await page.request.get(`${base}/api/v1/reports/agents?from=${from}&to=${today}`);
    const r = (await res.json()) as AgentsReport;
    const by = (name: string) => r.agents.find((a) => a.name === name)!;

    const agents = page.getByRole('table', { name: 'Agents' });
    await agents.getByText('Asha Rao').waitFor();
    const row = (name: string) => agents.locator('tbody tr', { hasText: name });
    expect(await cells(agents.locator('thead tr'))).toEqual([
      'Agent',
      'Handled',
      'Replies',
      'Notes',
      'First response (median)',
      'First response (p90)',
      'Resolved',
      'Resolution (median)',
      'Resolution (p90)',
    ]);
    // Most handled first, then by name; each agent's teams under the name.
    expect(await agents.locator('tbody tr').count()).toBe(3);
    const [ashaRow, benRow, ownerRow] = await Promise.all([
      cells(row('Asha Rao')),
      cells(row('Ben Ito')),
      cells(row(ownerName)),
    ]);
    expect(ashaRow.slice(1, 4)).toEqual(['1', '1', '1']);
    expect(ashaRow[0]).toContain('Front desk');
    expect(benRow.slice(1, 4)).toEqual(['1', '2', '1']);
    expect(benRow[0]).toContain('Front desk, Night shift');
    expect(ownerRow.slice(1, 4)).toEqual(['1', '1', '0']);
    expect(ownerRow[6]).toBe('0');
    // Asha answered Maya a minute after she wrote; Ben and the owner within seconds.
    const ashaFirst = seconds(ashaRow[4]!);
    expect(ashaRow[4]).toMatch(/^1 min( \d{1,2} s)?$/);
    expect(ashaFirst).toBe(by('Asha Rao').first_response_median);
    expect(ashaRow[5]).toBe(ashaRow[4]);
    expect(ashaRow[6]).toBe('1');
    expect(seconds(ashaRow[7]!)).toBe(by('Asha Rao').resolution_median);
    expect(seconds(ashaRow[7]!)).toBeGreaterThanOrEqual(ashaFirst);
    expect(benRow[4]).toMatch(/^\d{1,2} s$/);
    expect(seconds(benRow[4]!)).toBe(by('Ben Ito').first_response_median);
    expect(benRow[6]).toBe('1');
    expect(ownerRow[4]).toMatch(/^\d{1,2} s$/);
    // No resolution: a dash, not "0 s".
    expect(ownerRow[7]).toBe('—');
    expect(ownerRow[8]).toBe('—');

    // Teams: their members now; Front desk's median is the faster of its two first responses.
    const teams = page.getByRole('table', { name: /^Teams/ });
    const desk = await cells(teams.locator('tbody tr', { hasText: 'Front desk' }));
    expect(desk.slice(0, 5)).toEqual(['Front desk', '2', '2', '3', '2']);
    expect(desk[5]).toBe(benRow[4]);
    expect(desk[6]).toBe(ashaRow[4]);
    expect(desk[7]).toBe('2');
    const night = await cells(teams.locator('tbody tr', { hasText: 'Night shift' }));
    expect(night.slice(0, 5)).toEqual(['Night shift', '1', '1', '2', '1']);

    // The chart drew; "Show as table" gives its figures for today.
    const chart = page.getByTestId('chart-agents');
    await chart.locator('.recharts-bar-rectangle').first().waitFor();
    await chart.getByText('Show as table').click();
    const perDay = chart.getByRole('table', {
      name: 'Conversations handled, replies and resolutions per day',
    });
    await perDay.waitFor();
    // Every day of the 30, the quiet ones as zeros.
    expect(await perDay.locator('tbody tr').count()).toBe(30);
    expect(await cells(perDay.locator('tbody tr').first())).toEqual([from, '0', '0', '0']);
    expect(await cells(perDay.locator('tbody tr').last())).toEqual([today, '3', '4', '2']);

    // Per agent per day: averages, by day then name.
    const days = page.getByRole('table', { name: /^Per agent per day/ });
    expect(
      await days.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.children[1]?.textContent)),
    ).toEqual(['Asha Rao', 'Ben Ito', ownerName]);
    // Each table has its heading.
    for (const name of ['Agents', 'Teams', 'Per agent per day'])
      await page.getByRole('heading', { name, level: 2, exact: true }).waitFor();
    await chart.getByText('Show as table').click();
    await page.mouse.move(0, 0);
    await h.shot('reports-4-agents');

    // The CSV answers the same figures.
    const link = page.getByRole('link', { name: 'Download CSV' });
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(/\/api\/v1\/reports\/agents\.csv\?/);
    const csv = await page.request.get(new URL(href, base).toString());
    expect(csv.status()).toBe(200);
    expect(csv.headers()['content-type']).toMatch(/^text\/csv/);
    const lines = (await csv.text())
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/);
    const header = lines[0]!.split(',');
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));
    const ashaCsv = rows.find((x) => x.id === ids.asha && x.row === 'agent');
    expect(ashaCsv).toMatchObject({
      name: 'Asha Rao',
      handled: '1',
      replies: '1',
      notes: '1',
      resolutions: '1',
      first_response_median_seconds: String(ashaFirst),
    });
    expect(rows.find((x) => x.id === ids.owner && x.row === 'agent')).toMatchObject({
      replies: '1',
      resolutions: '0',
      resolution_median_seconds: '',
    });
    const deskCsv = rows.find((x) => x.id === frontDesk && x.row === 'team');
    expect(deskCsv).toMatchObject({
      name: 'Front desk',
      handled: '2',
      replies: '3',
      notes: '2',
      resolutions: '2',
    });
  });

  it('narrows to a team, keeps it in the address and through a new range', async () => {
    const { page } = h;
    const picker = page.getByLabel('Team', { exact: true });
    expect(await picker.locator('option').allTextContents()).toEqual([
      'All agents',
      'Front desk',
      'Night shift',
    ]);
    await picker.selectOption({ label: 'Night shift' });
    await expect.poll(() => new URL(page.url()).searchParams.get('team')).toBe(nightShift);
    const agents = page.getByRole('table', { name: 'Agents' });
    await expect.poll(() => agents.locator('tbody tr').count()).toBe(1);
    expect((await cells(agents.locator('tbody tr').first()))[0]).toContain('Ben Ito');
    const teams = page.getByRole('table', { name: /^Teams/ });
    expect(await teams.locator('tbody tr').count()).toBe(1);
    expect(await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href')).toContain(
      `team_id=${nightShift}`,
    );
    // A reload keeps the team; a new range keeps it too.
    await page.reload();
    await expect.poll(() => picker.inputValue()).toBe(nightShift);
    await page.getByLabel('Period', { exact: true }).selectOption('last7');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect.poll(() => new URL(page.url()).searchParams.get('from')).not.toBeNull();
    expect(new URL(page.url()).searchParams.get('team')).toBe(nightShift);
    await expect.poll(() => agents.locator('tbody tr').count()).toBe(1);

    await picker.selectOption({ label: 'Front desk' });
    await expect.poll(() => new URL(page.url()).searchParams.get('team')).toBe(frontDesk);
    await expect.poll(() => agents.locator('tbody tr').count()).toBe(2);
    await page.mouse.move(0, 0);
    await h.shot('reports-4b-agents-team');
    const r = await agentsReport(frontDesk);
    expect(r.agents.map((a) => a.user_id).sort()).toEqual([ids.asha, ids.ben].sort());

    // Back to everyone: the address drops the team.
    await picker.selectOption({ label: 'All agents' });
    await expect.poll(() => new URL(page.url()).searchParams.has('team')).toBe(false);
    await expect.poll(() => agents.locator('tbody tr').count()).toBe(3);

    // Last month (before this organisation existed): the tables say there was nothing.
    await page.getByLabel('Period', { exact: true }).selectOption('last_month');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page
      .getByText('No agent replied, wrote a note or resolved a conversation in this period.')
      .waitFor();
    expect(await cells(teams.locator('tbody tr', { hasText: 'Front desk' }))).toEqual([
      'Front desk',
      '2',
      '0',
      '0',
      '0',
      '—',
      '—',
      '0',
      '—',
      '—',
    ]);
    await page.mouse.move(0, 0);
    await h.shot('reports-4d-agents-empty');
  });

  it('shows the median first response on the overview', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Overview' }).click();
    const card = page.getByTestId('kpi-first_response_median');
    // Last month, still chosen: no reply then, nor the month before.
    await expect
      .poll(async () => (await card.textContent())?.replace(/\s+/g, ' '))
      .toBe('Median first response—– no replies in either period');
    await page.goto(`${base}/reports`);
    await card.waitFor();
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const res = await page.request.get(`${base}/api/v1/reports/overview?from=${from}&to=${to}`);
    const o = (await res.json()) as ReportOverview;
    const value = ((await card.locator('[data-kpi-value]').textContent()) ?? '').trim();
    // Three first responses: the median is the middle one (Ben's or the owner's, seconds).
    expect(value).toMatch(/^\d{1,2} s$/);
    expect(seconds(value)).toBe(o.kpis.first_response_median.current);
    expect(await card.locator('[data-kpi-change]').textContent()).toContain(
      'new this period vs previous period',
    );
    await page.mouse.move(0, 0);
    await h.shot('reports-4c-home-first-response');
  });
});
