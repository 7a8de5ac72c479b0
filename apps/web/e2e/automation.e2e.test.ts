import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

/**
 * Automation in Chromium against a real server and the sandbox's simulator: a keyword rule and the
 * chain's test box, business hours and the inbox header's badge, a flow built on the canvas
 * (keyword → question → branch → template), its test chat, and a simulated customer going through the
 * published flow. Screenshots: test-output/screenshots/automation-*.png.
 */
const OWNER = { email: 'owner@automation.example', password: 'browser automation password' };
const CUSTOMER = { wa_id: '447700900555', name: 'Rosa Lind' };
const BUYER = { wa_id: '447700900556', name: 'Theo Marsh' };
const VIEWER = { email: 'vic@automation.example', password: 'viewer automation password' };

describe.skipIf(!hasChromium)('Automation in Chromium', () => {
  let h: Harness;
  let base: string;
  let flowId = '';
  const consoleErrors: string[] = [];
  const shot = (name: string) => h.shot(`automation-${name}`);
  const panel = () => h.page.getByRole('tabpanel');

  beforeAll(async () => {
    h = await startHarness({ ...OWNER, org: 'Harbour Books' }, { SANDBOX_PACE: '0' });
    base = h.server.url;
    // The canvas, its palette and the side panel side by side.
    await h.page.setViewportSize({ width: 1600, height: 1000 });
    // A step that cannot happen fails with its locator, before the test's own timeout.
    h.page.setDefaultTimeout(20_000);
    h.page.on('response', (r) => {
      if (r.status() === 404) consoleErrors.push(`404 ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
    h.page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    await signIn(h.page, base, OWNER);
    // The field the flow's question saves its answer to.
    const field = await h.page.request.post(`${base}/api/v1/fields`, {
      data: { key: 'delivery_mode', label: 'Delivery mode', type: 'text' },
    });
    expect(field.status(), await field.text()).toBe(201);
  }, 120_000);
  let viewerContext: BrowserContext | undefined;
  afterAll(async () => {
    await viewerContext?.close();
    await h?.stop();
  });

  /** Drags from one element's centre to another's, as a person connects two handles. */
  async function drag(page: Page, from: Locator, to: Locator) {
    const a = await from.boundingBox();
    const b = await to.boundingBox();
    if (!a || !b) throw new Error('handle not on screen');
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
    await page.mouse.up();
  }

  it('a keyword rule answers “price”; the test box says which step handles a message and why', async () => {
    const { page } = h;
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Automation' }).click();
    await page.waitForURL(/\/automation\/rules$/);
    await page.getByText('No rules yet.').waitFor();

    await page.getByRole('button', { name: 'New rule' }).click();
    const form = page.getByRole('form', { name: 'New rule' });
    // The schema is checked before sending: an empty name and an empty reply are named beside their fields.
    await form.getByRole('button', { name: 'Add rule' }).click();
    await form.getByText('Please fix:').waitFor();
    expect(await form.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await form.getByLabel('Name', { exact: true }).fill('Prices');
    await form.getByLabel('Keywords', { exact: true }).fill('price, cost');
    const first = form.getByRole('group', { name: /^Action 1/ });
    await first
      .getByLabel('Text', { exact: true })
      .fill('Our prices start at £5, {{contact.name}}. <b>Not bold</b>');
    await form.getByLabel('New action').selectOption('add_tags');
    await form.getByRole('button', { name: 'Add action' }).click();
    await form
      .getByRole('group', { name: /^Action 2/ })
      .getByLabel('Tags')
      .fill('pricing');
    await form.getByLabel('Cooldown (minutes)').fill('5');
    await form.getByRole('button', { name: 'Add rule' }).click();
    const rule = page.getByRole('list', { name: 'Rules' }).getByRole('listitem', { name: 'Prices' });
    await rule.waitFor();
    expect(await rule.textContent()).toContain('contains “price” or “cost”');
    expect(await rule.textContent()).toContain(
      'Reply: Our prices start at £5, {{contact.name}}. <b>Not bold</b>',
    );
    expect(await rule.getByTestId('rule-stats').textContent()).toContain('Matched 0 times');

    // The server's own check: an invalid regular expression is refused beside the keywords.
    await page.getByRole('button', { name: 'Edit Prices' }).click();
    const edit = page.getByRole('form', { name: 'Edit rule Prices' });
    await edit.getByLabel('Match', { exact: true }).selectOption('regex');
    await edit.getByLabel('Keywords', { exact: true }).fill('(price');
    await edit.getByRole('button', { name: 'Save rule' }).click();
    await expect
      .poll(() => edit.getByLabel('Keywords', { exact: true }).getAttribute('aria-invalid'))
      .toBe('true');
    await shot('01-rule-refused');
    await edit.getByLabel('Match', { exact: true }).selectOption('contains');
    await edit.getByLabel('Keywords', { exact: true }).fill('price, cost');
    await edit.getByRole('button', { name: 'Save rule' }).click();
    await page.getByText('Saved the rule “Prices”.').waitFor();

    // The test box: which step handles it, each step's why, the actions that would run.
    const box = page.getByRole('form', { name: 'Test a message' });
    await box.getByLabel('Customer message').fill('What is the PRICE of a book?');
    await box.getByRole('button', { name: 'Test message' }).click();
    const result = page.getByRole('region', { name: 'Test result' });
    await expect.poll(() => result.getByTestId('handled-by').textContent()).toContain('Keyword rule');
    expect(await result.getByRole('list', { name: 'Chain steps' }).textContent()).toContain('Prices');
    const actions = result.getByRole('list', { name: 'Actions that would run' });
    expect(await actions.textContent()).toContain('Reply: Our prices start at £5');
    expect(await actions.textContent()).toContain('Add tags: pricing');
    await shot('02-rules-test-box');

    // Switched off, the rule no longer handles it.
    await rule.getByRole('switch', { name: 'Enabled: Prices' }).click();
    await expect.poll(() => rule.getByRole('switch').isChecked()).toBe(false);
    await box.getByRole('button', { name: 'Test message' }).click();
    await expect.poll(() => result.getByTestId('handled-by').textContent()).not.toContain('Keyword rule');
    await rule.getByRole('switch', { name: 'Enabled: Prices' }).click();
    await expect.poll(() => rule.getByRole('switch').isChecked()).toBe(true);
    expect(await page.evaluate(() => document.querySelectorAll('main b').length)).toBe(0);
  });

  it('business hours: the weekly editor saves, the list and the inbox header say whether it is open', async () => {
    const { page } = h;
    await customerSends(h, CUSTOMER.wa_id, {
      type: 'text',
      name: CUSTOMER.name,
      text: 'Hello, are you open?',
    });
    await page.goto(`${base}/automation/hours`);
    await page.getByText('No schedule: you count as always open.').waitFor();
    await page.getByRole('button', { name: 'New schedule' }).click();
    const form = page.getByRole('form', { name: 'New schedule' });
    await form.getByLabel('Name', { exact: true }).fill('Shop hours');
    await form.getByLabel('Applies to').selectOption({ label: 'Number: Sandbox number' });
    // Open round the clock: several intervals on Monday, the whole day elsewhere.
    await form.getByLabel('Monday interval 1 from').fill('00:00');
    await form.getByLabel('Monday interval 1 to').fill('12:00');
    await form.getByRole('button', { name: 'Add Monday interval' }).click();
    expect(await form.getByLabel('Monday interval 2 from').inputValue()).toBe('12:00');
    expect(await form.getByLabel('Monday interval 2 to').inputValue()).toBe('24:00');
    for (const day of ['Tuesday', 'Wednesday', 'Thursday', 'Friday']) {
      await form.getByLabel(`${day} interval 1 from`).fill('00:00');
      await form.getByLabel(`${day} interval 1 to`).fill('24:00');
    }
    for (const day of ['Saturday', 'Sunday']) {
      await form.getByRole('button', { name: `Add ${day} interval` }).click();
      await form.getByLabel(`${day} interval 1 from`).fill('00:00');
      await form.getByLabel(`${day} interval 1 to`).fill('24:00');
    }
    await form.getByRole('button', { name: 'Add closure' }).click();
    await form.getByRole('group', { name: 'Closure 1' }).getByLabel('Date').fill('2027-12-25');
    await form
      .getByRole('group', { name: 'Closure 1' })
      .getByLabel('Name', { exact: true })
      .fill('Christmas');
    await form.getByLabel('Away message').fill('We are closed; we answer from 9:00.');
    await form.getByLabel('At most once every (hours)').fill('12');
    // A wrong interval is named beside it before anything is sent.
    await form.getByLabel('Friday interval 1 to').fill('25:00');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await form.getByText('HH:MM, 00:00–24:00').first().waitFor();
    await form.getByLabel('Friday interval 1 to').fill('24:00');
    await shot('03-hours-editor');
    await form.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Saved “Shop hours”.').waitFor();
    const row = page.getByRole('list', { name: 'Schedules' }).getByRole('listitem', { name: 'Shop hours' });
    await expect.poll(() => row.getByTestId('schedule-status').textContent()).toBe('Open now');
    await shot('04-hours-list');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbox' }).click();
    await page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link', { name: new RegExp(CUSTOMER.name) })
      .click();
    await page.waitForURL(/\/inbox\/[0-9a-f-]{36}$/);
    const conversation = page.url();
    await expect.poll(() => page.getByTestId('hours-badge').textContent()).toBe('Open now');
    await shot('05-inbox-open-badge');

    // Closed every day: the badge says so (no opening within two weeks, so no time).
    await page.goto(`${base}/automation/hours`);
    await page.getByRole('button', { name: 'Edit Shop hours' }).click();
    const edit = page.getByRole('form', { name: 'Edit Shop hours' });
    await edit.getByRole('button', { name: 'Remove Monday interval 2' }).click();
    for (const day of ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'])
      await edit.getByRole('button', { name: `Remove ${day} interval 1` }).click();
    await edit.getByRole('button', { name: 'Save schedule' }).click();
    await page.getByText('Saved “Shop hours”.').waitFor();
    await expect.poll(() => row.getByTestId('schedule-status').textContent()).toMatch(/^Closed/);
    await page.goto(conversation);
    await expect.poll(() => page.getByTestId('hours-badge').textContent()).toMatch(/^Closed/);
    await shot('06-inbox-closed-badge');

    // Delete it: the chain of the flows below is not about hours.
    await page.goto(`${base}/automation/hours`);
    await page.getByRole('button', { name: 'Delete Shop hours' }).click();
    await page.getByRole('button', { name: 'Delete schedule' }).click();
    await page.getByText('Deleted “Shop hours”.').waitFor();
    // No schedule applies any more: the header has no badge.
    await page.goto(conversation);
    await page.getByRole('heading', { name: CUSTOMER.name }).waitFor();
    await expect.poll(() => page.getByTestId('hours-badge').count()).toBe(0);
  });

  it('builds a flow on the canvas: keyword → question → branch → template; validates, publishes, tests it', async () => {
    const { page } = h;
    await page.goto(`${base}/automation/flows`);
    await page.getByText('No flows yet.').waitFor();
    await page.getByRole('button', { name: 'New flow' }).click();
    await page.getByRole('form', { name: 'New flow' }).getByLabel('Flow name').fill('Order status');
    await page.getByRole('button', { name: 'Create flow' }).click();
    await page.waitForURL(/\/automation\/flows\/[0-9a-f-]{36}$/);
    flowId = page.url().split('/').at(-1) ?? '';
    const canvas = page.getByTestId('flow-canvas');
    const node = (id: string) => canvas.getByTestId(`node-${id}`);
    await node('trigger').waitFor();

    // The trigger: the keyword "order".
    await node('trigger').click();
    await panel().getByLabel('Keywords', { exact: true }).fill('order');

    const palette = page.getByRole('region', { name: 'Add a node' });
    await palette.getByRole('button', { name: 'Ask a question' }).click();
    await node('ask_1').waitFor();
    await panel().getByLabel('Question').fill('Delivery or pickup?');
    await panel().getByLabel('Save the answer to').selectOption('field');
    await panel().getByLabel('Field key').fill('delivery_mode');
    await panel().getByLabel('Validation').selectOption('choice');
    await panel().getByLabel('Choices').fill('delivery, pickup');
    await panel().getByLabel('Retry message (optional)').fill('Please answer delivery or pickup.');

    // A connection drawn on the canvas: from the trigger's "next" handle to the question.
    await drag(
      page,
      node('trigger').locator('.react-flow__handle[data-handleid="next"]'),
      node('ask_1').locator('.react-flow__handle.target'),
    );
    await canvas.locator('.react-flow__edge').first().waitFor();

    // Validation before the flow is finished: the problems are listed and outlined.
    await page.getByRole('button', { name: 'Validate' }).click();
    const problems = page.getByRole('list', { name: 'Problems' });
    await problems.getByRole('listitem').first().waitFor();
    expect(await canvas.locator('[data-problem="true"]').count()).toBeGreaterThan(0);
    // A problem of a node selects it: its inspector opens.
    await problems.getByRole('button', { name: /ask_1/ }).first().click();
    await panel().getByLabel('Question').waitFor();
    await shot('07-flow-problems');

    await palette.getByRole('button', { name: 'Condition' }).click();
    await node('condition_1').waitFor();
    await panel().getByLabel('Label', { exact: true }).fill('Delivery');
    await panel().getByLabel('Value', { exact: true }).fill('delivery');
    await palette.getByRole('button', { name: 'Send template' }).click();
    await node('send_template_1').waitFor();
    await panel().getByLabel('Template', { exact: true }).selectOption({ label: 'order_update (en_US)' });
    await panel().getByLabel('Body parameter 1').fill('{{contact.name}}');
    await panel().getByLabel('Body parameter 2').fill('A-1042');
    await palette.getByRole('button', { name: 'Send text' }).click();
    await node('send_text_1').waitFor();
    await panel().getByLabel('Text', { exact: true }).fill('See you at the shop, {{contact.name}}.');
    await palette.getByRole('button', { name: 'End', exact: true }).click();
    await node('end_1').waitFor();
    // A node added by mistake is deleted.
    await palette.getByRole('button', { name: 'Delay' }).click();
    await node('delay_1').waitFor();
    await panel().getByRole('button', { name: 'Delete node' }).click();
    await expect.poll(() => node('delay_1').count()).toBe(0);

    // The remaining connections through the inspector's "Then" choices.
    const connectFrom = async (from: string, links: [string, string][]) => {
      await node(from).click();
      for (const [handle, to] of links) await panel().getByLabel(`Then (${handle})`).selectOption(to);
    };
    await connectFrom('ask_1', [
      ['next', 'condition_1'],
      ['invalid', 'end_1'],
      ['timeout', 'end_1'],
    ]);
    await connectFrom('condition_1', [
      ['Delivery', 'send_template_1'],
      ['else', 'send_text_1'],
    ]);
    await connectFrom('send_template_1', [['next', 'end_1']]);
    await connectFrom('send_text_1', [['next', 'end_1']]);
    expect(await canvas.locator('.react-flow__edge').count()).toBe(8);

    await page.getByRole('button', { name: 'Save draft' }).click();
    await page.getByText('Draft saved.').waitFor();
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText(/^(The flow is valid\.|Valid, with warnings\.)$/).waitFor();
    expect(await canvas.locator('[data-problem="true"]').count()).toBe(0);
    await page.getByRole('button', { name: 'Publish' }).click();
    await page.getByText('Published version 1.').waitFor();
    await shot('08-flow-published');

    // The saved graph keeps the positions and handles drawn.
    const saved = await (await page.request.get(`${base}/api/v1/automation/flows/${flowId}`)).json();
    expect(saved.graph.nodes).toHaveLength(6);
    expect(saved.graph.edges).toContainEqual(
      expect.objectContaining({ source: 'trigger', source_handle: 'next', target: 'ask_1' }),
    );
    expect(saved.graph.edges).toContainEqual(
      expect.objectContaining({ source: 'condition_1', source_handle: 'b1', target: 'send_template_1' }),
    );

    // The test chat: an answer outside the choices is asked again, "delivery" takes the branch.
    await page.getByRole('tab', { name: 'Test' }).click();
    await page.getByRole('button', { name: 'Start test' }).click();
    const transcript = page.getByRole('list', { name: 'Test transcript' });
    await expect.poll(() => transcript.textContent()).toContain('Delivery or pickup?');
    await page.getByLabel('Test reply').fill('by pigeon');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => transcript.textContent()).toContain('Please answer delivery or pickup.');
    await page.getByLabel('Test reply').fill('Delivery');
    await page.getByRole('button', { name: 'Send reply' }).click();
    await expect.poll(() => transcript.textContent()).toContain('order_update');
    await expect.poll(() => page.getByTestId('test-run-status').textContent()).toBe('completed');
    for (const id of ['trigger', 'ask_1', 'condition_1', 'send_template_1'])
      expect(await node(id).getAttribute('data-visited')).toBe('true');
    expect(await node('send_text_1').getAttribute('data-visited')).toBeNull();
    await shot('09-flow-test-chat');

    // Versions and the export.
    await page.getByRole('tab', { name: 'Versions' }).click();
    await page.getByRole('list', { name: 'Versions' }).getByText('v1').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export' }).click();
    expect((await download).suggestedFilename()).toBe('order-status.json');
    const exported = await (await download).path();

    // Import: a file that does not validate names each problem's path; the exported one becomes a new draft.
    await page.goto(`${base}/automation/flows`);
    await page.locator('#flow-import').setInputFiles({
      name: 'broken.json',
      mimeType: 'application/json',
      buffer: Buffer.from(
        JSON.stringify({
          openwaba_flow: 1,
          name: 'Broken',
          graph: {
            nodes: [{ id: 'a', type: 'send_text', position: { x: 0, y: 0 }, data: { text: '' } }],
            edges: [],
          },
        }),
      ),
    });
    const importProblems = page.getByRole('list', { name: 'Import problems' });
    await expect.poll(() => importProblems.textContent()).toContain('graph.nodes.0.data.text');
    await shot('09b-flow-import-refused');
    await page.locator('#flow-import').setInputFiles(exported);
    await page.waitForURL(
      (u) => /\/automation\/flows\/[0-9a-f-]{36}$/.test(u.pathname) && !u.pathname.endsWith(flowId),
    );
    expect(await page.getByLabel('Flow name').inputValue()).toBe('Order status');
    await canvas.getByTestId('node-send_template_1').waitFor();
    await page.goto(`${base}/automation/flows`);
    // The header and the two flows.
    const flowRows = page.getByRole('table', { name: 'Flows' }).getByRole('row');
    await expect.poll(() => flowRows.count()).toBe(3);
    await shot('09c-flows-list');
    // The copy is deleted from its editor, after a confirmation.
    await page
      .getByRole('table', { name: 'Flows' })
      .locator(`a[href^="/automation/flows/"]:not([href$="${flowId}"])`)
      .click();
    await page.waitForURL((u) => /\/automation\/flows\/[0-9a-f-]{36}$/.test(u.pathname));
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await page.getByRole('button', { name: 'Delete flow' }).click();
    await page.waitForURL(/\/automation\/flows$/);
    await expect.poll(() => flowRows.count()).toBe(2);
  });

  it('the test chat offers buttons and list rows as choices; a click answers with their id', async () => {
    const { page } = h;
    const pos = { x: 0, y: 0 };
    const created = await page.request.post(`${base}/api/v1/automation/flows`, {
      data: {
        name: 'City menu',
        graph: {
          nodes: [
            { id: 't', type: 'trigger', position: pos, data: { kind: 'api' } },
            {
              id: 'b',
              type: 'send_buttons',
              position: { x: 280, y: 0 },
              data: {
                buttons: {
                  body: 'Which city?',
                  buttons: [
                    { id: 'porto', title: 'Porto' },
                    { id: 'lisbon', title: 'Lisbon' },
                  ],
                },
              },
            },
            { id: 'w', type: 'wait_reply', position: { x: 560, y: 0 }, data: { timeout_minutes: 5 } },
            {
              id: 'c',
              type: 'condition',
              position: { x: 840, y: 0 },
              data: {
                branches: [
                  {
                    id: 'porto',
                    label: 'Porto',
                    when: { subject: 'reply_id', op: 'equals', value: 'porto' },
                  },
                ],
              },
            },
            {
              id: 'l',
              type: 'send_list',
              position: { x: 0, y: 240 },
              data: {
                list: { body: 'Which part?', button: 'Areas', rows: [{ id: 'ribeira', title: 'Ribeira' }] },
              },
            },
            {
              id: 'w2',
              type: 'wait_reply',
              position: { x: 280, y: 240 },
              data: { timeout_minutes: 5, save_as: 'area' },
            },
            { id: 's', type: 'send_text', position: { x: 560, y: 240 }, data: { text: 'Enjoy Porto!' } },
            { id: 'e', type: 'end', position: { x: 840, y: 240 }, data: {} },
          ],
          edges: [
            { id: '1', source: 't', target: 'b' },
            { id: '2', source: 'b', target: 'w' },
            { id: '3', source: 'w', source_handle: 'reply', target: 'c' },
            { id: '4', source: 'w', source_handle: 'timeout', target: 'e' },
            { id: '5', source: 'c', source_handle: 'porto', target: 'l' },
            { id: '6', source: 'c', source_handle: 'else', target: 'e' },
            { id: '7', source: 'l', target: 'w2' },
            { id: '8', source: 'w2', source_handle: 'reply', target: 's' },
            { id: '9', source: 'w2', source_handle: 'timeout', target: 'e' },
            { id: '10', source: 's', target: 'e' },
          ],
        },
      },
    });
    expect(created.status(), await created.text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    await page.goto(`${base}/automation/flows/${id}`);
    await page.getByRole('tab', { name: 'Test' }).click();
    await page.getByRole('button', { name: 'Start test' }).click();
    const transcript = page.getByRole('list', { name: 'Test transcript' });
    await transcript.getByRole('button', { name: 'Porto' }).click();
    await transcript.getByRole('group', { name: 'Areas' }).getByRole('button', { name: 'Ribeira' }).click();
    await expect.poll(() => transcript.textContent()).toContain('Enjoy Porto!');
    // The tester's clicks read as the choices' titles.
    expect(await transcript.locator('[data-from="customer"]').allTextContents()).toEqual([
      'Porto',
      'Ribeira',
    ]);
    await expect.poll(() => page.getByTestId('test-run-status').textContent()).toBe('completed');
    expect(await page.getByTestId('node-s').getAttribute('data-visited')).toBe('true');
    // An answered run waits for nothing: its choices no longer answer.
    expect(await transcript.getByRole('button', { name: 'Lisbon' }).isDisabled()).toBe(true);
    await shot('09d-flow-test-choices');
  });

  it('a simulated customer writes the keyword and goes through the published flow; the runs page shows it', async () => {
    const { page } = h;
    await customerSends(h, BUYER.wa_id, { type: 'text', name: BUYER.name, text: 'ORDER' });
    await page.goto(`${base}/automation/runs`);
    await page.getByLabel('Test runs').selectOption('false');
    const runs = page.getByRole('table', { name: 'Runs' });
    await runs.getByRole('row', { name: new RegExp(BUYER.name) }).waitFor({ timeout: 30_000 });
    await customerSends(h, BUYER.wa_id, { type: 'text', name: BUYER.name, text: 'delivery' });
    await expect
      .poll(
        async () => {
          await page.reload();
          return runs.getByRole('row', { name: new RegExp(BUYER.name) }).textContent();
        },
        { timeout: 30_000, interval: 1000 },
      )
      .toContain('completed');
    await shot('10-runs');
    await runs
      .getByRole('row', { name: new RegExp(BUYER.name) })
      .getByRole('link')
      .click();
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('completed');
    const log = page.getByRole('table', { name: 'Execution log' });
    for (const id of ['trigger', 'ask_1', 'condition_1', 'send_template_1'])
      await log
        .getByText(new RegExp(`^${id} `))
        .first()
        .waitFor();
    await shot('11-run-log');

    // The answer is on the contact; the template went out to the customer's phone.
    const contacts = await (
      await page.request.get(`${base}/api/v1/contacts?q=${BUYER.name.split(' ')[0]}`)
    ).json();
    expect(contacts.data[0].fields.delivery_mode).toBe('delivery');
    await page.goto(`${base}/automation/flows/${flowId}`);
    await expect.poll(() => page.getByTestId('counts-send_template_1').textContent()).toContain('1 entered');
    await shot('12-flow-counts');

    // A run waiting for the answer is stopped from its page.
    await customerSends(h, BUYER.wa_id, { type: 'text', name: BUYER.name, text: 'order' });
    await page.goto(`${base}/automation/runs`);
    await page.getByLabel('Status').selectOption('waiting');
    await runs
      .getByRole('row', { name: new RegExp(BUYER.name) })
      .getByRole('link')
      .click();
    await page.getByRole('button', { name: 'Stop run' }).click();
    await expect.poll(() => page.getByTestId('run-status').textContent()).toBe('stopped');
    // Apart from the refused saves and import (their 400s), nothing went wrong in the page.
    expect(consoleErrors.filter((e) => !/status of 400/.test(e))).toEqual([]);
  });

  it('a viewer looks at rules and flows without controls to change them, and may use the test box', async () => {
    const inv = await h.page.request.post(`${base}/api/v1/invitations`, {
      data: { email: VIEWER.email, role: 'viewer' },
    });
    expect(inv.status(), await inv.text()).toBe(201);
    const { token } = (await inv.json()) as { token: string };
    const accepted = await fetch(`${base}/api/v1/invitations/accept`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, password: VIEWER.password, name: 'Vic' }),
    });
    expect(accepted.status, await accepted.clone().text()).toBe(200);
    viewerContext = await h.browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await viewerContext.newPage();
    await signIn(page, base, VIEWER);
    await page.goto(`${base}/automation/rules`);
    await page.getByText('Only managers, admins and owners change automation').waitFor();
    const rule = page.getByRole('list', { name: 'Rules' }).getByRole('listitem', { name: 'Prices' });
    await rule.waitFor();
    expect(await rule.getByRole('switch').isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: /New rule|Edit Prices|Delete Prices/ }).count()).toBe(0);
    await page.getByLabel('Customer message').fill('cost?');
    await page.getByRole('button', { name: 'Test message' }).click();
    await expect.poll(() => page.getByTestId('handled-by').textContent()).toContain('Keyword rule');

    await page.goto(`${base}/automation/flows/${flowId}`);
    await page.getByTestId('node-ask_1').click();
    await page.getByRole('region', { name: 'Node' }).getByText('invalid → end_1').waitFor();
    expect(await page.getByRole('region', { name: 'Add a node' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: /Save draft|Publish|Delete/ }).count()).toBe(0);
    // Reading is enough to check a flow and take a copy of it.
    await page.getByRole('button', { name: 'Validate' }).click();
    await page.getByText(/^(The flow is valid\.|Valid, with warnings\.)$/).waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export' }).click();
    expect((await download).suggestedFilename()).toBe('order-status.json');
    expect(await page.getByRole('tab', { name: 'Test' }).count()).toBe(0);
    await h.shot('automation-13-viewer-flow', page);

    // On a phone: the tabs scroll, the lists and the canvas fit the width.
    await page.setViewportSize({ width: 390, height: 844 });
    for (const [path, name] of [
      ['/automation/rules', '14-phone-rules'],
      ['/automation/flows', '15-phone-flows'],
      [`/automation/flows/${flowId}`, '16-phone-flow'],
      ['/automation/runs', '17-phone-runs'],
    ] as const) {
      await page.goto(`${base}${path}`);
      await page.getByRole('navigation', { name: 'Automation' }).waitFor();
      await page.waitForLoadState('networkidle');
      const wide = await page.evaluate(() =>
        [...document.querySelectorAll('main *')]
          .filter((e) => {
            if (e.getBoundingClientRect().right <= 392) return false;
            // Inside a box that scrolls sideways (a table, the tabs), it is reached by scrolling.
            for (let a = e.parentElement; a && a.tagName !== 'MAIN'; a = a.parentElement)
              if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(a).overflowX)) return false;
            return true;
          })
          .slice(0, 5)
          .map((e) => `${e.tagName}.${e.className}`.slice(0, 120)),
      );
      expect(wide, path).toEqual([]);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(390);
      await h.shot(`automation-${name}`, page);
    }
  });
});
