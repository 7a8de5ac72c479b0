import type { ReportOverview } from '@openwaba/contracts';
import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@reports.example', password: 'browser reports password' };
const SANDBOX_WABA = '200000000000001';

/** Seeds through the API with the browser's session (the page's request context shares its cookies). */
async function post(page: Page, base: string, path: string, data: unknown) {
  const res = await page.request.post(`${base}${path}`, { data });
  expect(res.status(), await res.text()).toBeLessThan(300);
  return (await res.json()) as { id: string };
}

const phone = (n: number) => `+44 7400 ${String(300000 + n)}`;
const waId = (n: number) => `447400${String(300000 + n)}`;
const CUSTOMERS = ['Asha Menon', 'Bruno Costa', 'Chloe Martin', 'Dev Patel'];

describe.skipIf(!hasChromium)('reports: overview, tabs, range picker, CSV, live refresh', () => {
  let h: Harness;
  let base: string;
  let campaignId: string;

  beforeAll(async () => {
    h = await startHarness({ ...ADMIN, org: 'Juniper Tea' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    // Two templates: the campaign sends half with each (its split is drawn side by side).
    const simTemplates: Record<string, string> = {};
    for (const [name, text] of [
      ['winter_tea', 'Hi {{1}}, our winter teas are in.'],
      ['winter_tea_b', 'Hello {{1}}, the winter teas have arrived.'],
    ] as const) {
      const res = await fetch(`${h.simulatorUrl}/_sim/templates`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          waba_id: SANDBOX_WABA,
          name,
          language: 'en_US',
          category: 'MARKETING',
          components: [{ type: 'BODY', text, example: { body_text: [['Ana']] } }],
        }),
      });
      expect(res.status, await res.clone().text()).toBe(201);
      simTemplates[name] = ((await res.json()) as { id: string }).id;
    }
    const { page } = h;
    await signIn(page, base, ADMIN);
    const sync = await page.request.post(`${base}/api/v1/templates/sync`, { data: {} });
    expect(sync.status(), await sync.text()).toBe(200);
    // Meta lowers one template's quality rating (a webhook): the Templates report shows it.
    const quality = await fetch(`${h.simulatorUrl}/_sim/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        kind: 'message_template_quality_update',
        waba_id: SANDBOX_WABA,
        template_id: simTemplates.winter_tea,
        params: { previous_quality_score: 'GREEN', new_quality_score: 'YELLOW' },
      }),
    });
    expect(quality.status, await quality.clone().text()).toBe(201);
    const tag = (await post(page, base, '/api/v1/tags', { name: 'Winter list' })).id;
    const optIn = { source: 'web_form', proof: 'Ticked the box at checkout' };
    for (const [i, name] of CUSTOMERS.entries()) {
      await post(page, base, '/api/v1/contacts', { phone: phone(i), name, tag_ids: [tag], opt_in: optIn });
    }
    const templates = await page.request.get(`${base}/api/v1/templates?usable=true`);
    const usable = ((await templates.json()) as { data: { id: string; name: string }[] }).data;
    const tpl = usable.find((t) => t.name === 'winter_tea');
    const tplB = usable.find((t) => t.name === 'winter_tea_b');
    const numbers = (await (await page.request.get(`${base}/api/v1/numbers`)).json()) as {
      data: { id: string }[];
    };
    campaignId = (
      await post(page, base, '/api/v1/campaigns', {
        name: 'Winter teas',
        number_id: numbers.data[0]?.id,
        audience: { kind: 'contacts', filter: { tag_ids: [tag] } },
        templates: [
          { template_id: tpl?.id, mapping: { 'body.1': { contact: 'name' } } },
          { template_id: tplB?.id, mapping: { 'body.1': { contact: 'name' } } },
        ],
      })
    ).id;
  }, 240_000);
  afterAll(async () => {
    await h?.stop();
  });

  const fmt = (n: number) => n.toLocaleString('en-GB');
  const overview = async (from: string, to: string) => {
    const res = await h.page.request.get(`${base}/api/v1/reports/overview?from=${from}&to=${to}`);
    expect(res.status()).toBe(200);
    return (await res.json()) as ReportOverview;
  };
  const kpi = async (key: string) =>
    ((await h.page.getByTestId(`kpi-${key}`).locator('[data-kpi-value]').textContent()) ?? '').trim();

  it('opens from the main navigation and updates live as a campaign sends and customers answer', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
    await page.getByRole('heading', { name: 'Reports', level: 1 }).waitFor();
    await page.getByTestId('kpi-sent').waitFor();
    expect(await page.getByTestId('settling-note').textContent()).toContain(
      'Delivery statistics may take up to 24 hours to settle',
    );
    // The picker starts on the last 30 days.
    expect(await page.getByLabel('Period', { exact: true }).inputValue()).toBe('last30');

    // The sandbox's own customers talk too, so the figures are checked against the API's for the same days.
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const before = await overview(from, to);
    // The card shows the API's figure (the sandbox's AI may already have answered its customers).
    await expect
      .poll(async () => (await kpi('sent')) === fmt((await overview(from, to)).kpis.sent.current))
      .toBe(true);

    // Sends and answers while the page is open: realtime events refresh it, no reload.
    await post(page, base, `/api/v1/campaigns/${campaignId}/start`, {});
    await expect
      .poll(
        async () => {
          const now = await overview(from, to);
          return (
            now.kpis.sent.current >= before.kpis.sent.current + 4 &&
            (await kpi('sent')) === fmt(now.kpis.sent.current)
          );
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    for (const i of [0, 1]) await customerSends(h, waId(i), { type: 'text', text: 'Lovely, I’ll take two' });
    await customerSends(h, '447700900555', { type: 'text', text: 'Do you ship to Leeds?' });
    await expect
      .poll(
        async () => {
          const now = await overview(from, to);
          return (
            now.kpis.received.current >= before.kpis.received.current + 3 &&
            (await kpi('received')) === fmt(now.kpis.received.current)
          );
        },
        { timeout: 30_000 },
      )
      .toBe(true);
    // The change against the previous (empty) period is written out, not only coloured.
    expect(await page.getByTestId('kpi-sent').locator('[data-kpi-change]').textContent()).toMatch(
      /(new this period|up \d+ %|down \d+ %|no change) vs previous period/,
    );
    // Both charts drew, and the figures behind the daily one are one click away.
    await page.getByTestId('chart-series').locator('.recharts-line').first().waitFor();
    await page.getByTestId('chart-hours').locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByTestId('chart-series').getByText('Show as table').click();
    const table = page.getByRole('table', { name: 'Messages per day' });
    await table.waitFor();
    const today = (await overview(from, to)).series.at(-1);
    const lastRow = table.locator('tbody tr').last();
    expect(await lastRow.locator('td').nth(0).textContent()).toBe(to);
    expect(Number(await lastRow.locator('td').nth(1).textContent())).toBeGreaterThanOrEqual(4);
    expect(Number(await lastRow.locator('td').nth(5).textContent())).toBeGreaterThanOrEqual(3);
    expect(today?.day).toBe(to);
    await page.getByTestId('chart-series').getByText('Show as table').click();
    // The campaign sending now and the number's health sit below.
    const health = page.getByRole('table', { name: 'Numbers’ health' });
    await health.getByText('Sandbox number').waitFor();
    // Each number's messaging limit used today, as the overview counts it.
    const used = (await overview(from, to)).numbers_health[0]!;
    await health
      .getByText(
        used.limit === null ? `${fmt(used.used)} used` : `${fmt(used.used)} of ${fmt(used.limit)} used`,
      )
      .waitFor();
    await page.mouse.move(0, 0);
    await h.shot('reports-1-home');
  });

  it('asks for the range chosen, refuses a reversed one and shows the server’s word on a bad address', async () => {
    const { page } = h;
    const asked: string[] = [];
    const onRequest = (r: Request) => {
      if (r.url().includes('/api/v1/reports/overview')) asked.push(r.url());
    };
    page.on('request', onRequest);
    await page.getByLabel('Period', { exact: true }).selectOption('last7');
    const to = await page.getByLabel('To', { exact: true }).inputValue();
    const from = await page.getByLabel('From', { exact: true }).inputValue();
    expect((Date.parse(to) - Date.parse(from)) / 86_400_000).toBe(6);
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect
      .poll(() => asked.some((u) => u.includes(`from=${from}`) && u.includes(`to=${to}`)))
      .toBe(true);
    expect(new URL(page.url()).search).toBe(`?from=${from}&to=${to}`);
    await expect
      .poll(async () => (await kpi('sent')) === fmt((await overview(from, to)).kpis.sent.current))
      .toBe(true);
    page.off('request', onRequest);

    // From after to: Apply is disabled and says why.
    await page.getByLabel('From', { exact: true }).fill('2026-12-31');
    await page.getByLabel('To', { exact: true }).fill('2026-12-01');
    const apply = page.getByRole('button', { name: 'Apply' });
    expect(await apply.isDisabled()).toBe(true);
    expect(await apply.getAttribute('title')).toBe('“From” is after “To”');
    expect(await page.getByLabel('Period', { exact: true }).inputValue()).toBe('custom');
    // Over the longest range a report covers: refused here too.
    await page.getByLabel('From', { exact: true }).fill('2024-01-01');
    expect(await apply.isDisabled()).toBe(true);
    expect(await apply.getAttribute('title')).toBe('A report covers at most 400 days');

    // One number: the request names it, and so does the address.
    await page.getByLabel('Period', { exact: true }).selectOption('last30');
    const numberId = await page
      .getByLabel('Number', { exact: true })
      .locator('option', { hasText: 'Sandbox number' })
      .getAttribute('value');
    await page.getByLabel('Number', { exact: true }).selectOption(numberId ?? '');
    asked.length = 0;
    page.on('request', onRequest);
    await apply.click();
    await expect.poll(() => asked.some((u) => u.includes(`number_id=${numberId}`))).toBe(true);
    page.off('request', onRequest);
    expect(new URL(page.url()).searchParams.get('number')).toBe(numberId);
    await page.getByTestId('kpi-sent').waitFor();

    // A reversed range typed into the address: the server refuses it and the page says so.
    await page.goto(`${base}/reports?from=2026-12-05&to=2026-12-01`);
    await page.getByRole('alert').waitFor();
    expect(await page.getByRole('alert').textContent()).toContain('from must be on or before to');
  });

  it('downloads the report as CSV with its header row', async () => {
    const { page } = h;
    await page.goto(`${base}/reports`);
    const link = page.getByRole('link', { name: 'Download CSV' });
    await link.waitFor();
    const href = (await link.getAttribute('href')) ?? '';
    expect(href).toMatch(/\/api\/v1\/reports\/overview\.csv\?from=\d{4}-\d{2}-\d{2}&to=\d{4}-\d{2}-\d{2}$/);
    const res = await page.request.get(new URL(href, base).toString());
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toMatch(/^text\/csv/);
    const firstLine = (await res.text()).split(/\r?\n/)[0];
    expect(firstLine).toMatch(/^(\uFEFF)?[a-z_]+(,[a-z_]+)+$/);
  });

  it('compares campaigns with a funnel, lists numbers and templates, and breaks down spend', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Campaigns' }).click();
    const row = page
      .getByRole('table', { name: 'Campaigns compared' })
      .locator('tbody tr', { hasText: 'Winter teas' });
    await row.waitFor();
    await expect.poll(async () => (await row.locator('td').nth(2).textContent())?.trim()).toBe('4');
    await page.getByTestId('chart-funnel').locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByTestId('chart-funnel').getByText('Show as table').click();
    const funnel = page.getByRole('table', { name: 'Funnel of Winter teas' });
    expect(await funnel.locator('tbody tr').nth(0).textContent()).toBe('Sent4100 %');
    await page.getByTestId('chart-funnel').getByText('Show as table').click();
    // The two templates' funnels side by side (2 recipients each).
    await page.getByTestId('chart-template-split').locator('.recharts-bar-rectangle').first().waitFor();
    await page.getByTestId('chart-template-split').getByText('Show as table').click();
    const split = page.getByRole('table', { name: 'Templates of Winter teas' });
    expect(await split.locator('tbody tr').count()).toBe(2);
    expect(await split.locator('tbody tr').nth(0).locator('td').nth(1).textContent()).toBe('2');
    await page.getByTestId('chart-template-split').getByText('Show as table').click();
    await page.mouse.move(0, 0);
    await h.shot('reports-2-campaigns');

    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Numbers' }).click();
    const numbers = page.getByRole('table', { name: 'Per number per day' });
    await numbers.getByText('Sandbox number').waitFor();
    await page.getByTestId('chart-numbers').locator('.recharts-bar-rectangle').first().waitFor();
    // Each number over the period, with the throughput it reached (4 accepted within a minute or two).
    const totals = page.getByRole('table', { name: 'Each number over the period' });
    const sandbox = totals.locator('tbody tr', { hasText: 'Sandbox number' });
    await sandbox.waitFor();
    expect(await sandbox.locator('td').nth(7).textContent()).toMatch(/^\d+(\.\d+)? msg\/s$/);
    // The sandbox number's first health check, in words rather than Meta's GREEN and TIER_UNLIMITED.
    const history = page.getByRole('table', { name: 'Quality and tier history' });
    await history.getByText('first reading → High (green)').waitFor();
    await history.getByText('first reading → unlimited').waitFor();
    await page.mouse.move(0, 0);
    await h.shot('reports-5-numbers');

    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Templates' }).click();
    const tpl = page
      .getByRole('table', { name: 'Templates by sends' })
      .locator('tbody tr')
      .filter({ has: page.getByRole('cell', { name: 'winter_tea', exact: true }) });
    await tpl.waitFor();
    expect(await tpl.locator('td').nth(2).textContent()).toBe('2');
    expect(await tpl.locator('td').last().textContent()).toBe('Medium (yellow)');
    const qualityHistory = page.getByRole('table', { name: 'Template quality history' });
    await qualityHistory
      .locator('tbody tr', { hasText: 'winter_tea' })
      .getByText('High (green) → Medium (yellow)')
      .waitFor();
    await h.shot('reports-4-templates');

    await page.getByRole('navigation', { name: 'Reports' }).getByRole('link', { name: 'Spend' }).click();
    await page.getByTestId('spend-total').waitFor();
    expect(await page.getByTestId('spend-total').textContent()).toMatch(/for \d+ messages/);
    await page.getByRole('table', { name: 'By category' }).waitFor();
    await h.shot('reports-3-spend');
    // The range travels with the tabs.
    expect(new URL(page.url()).pathname).toBe('/reports/spend');
  });

  it('shows the reports to a viewer', async () => {
    const { page } = h;
    const viewer = { email: 'viewer@reports.example', password: 'viewer reports password' };
    const inv = await page.request.post(`${base}/api/v1/invitations`, {
      data: { email: viewer.email, role: 'viewer' },
    });
    expect(inv.status(), await inv.text()).toBe(201);
    const { token } = (await inv.json()) as { token: string };
    const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: viewer.password, name: 'Vera Viewer' }),
    });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 720 } });
    try {
      const vp = await context.newPage();
      await signIn(vp, base, viewer);
      await vp.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Reports' }).click();
      await vp.getByTestId('kpi-sent').waitFor();
      const sent = (await vp.getByTestId('kpi-sent').locator('[data-kpi-value]').textContent())?.trim();
      expect(Number(sent)).toBeGreaterThanOrEqual(4);
    } finally {
      await context.close();
    }
  });
});
