import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerSends, type Harness, hasChromium, signIn, startHarness } from './harness.ts';

const ADMIN = { email: 'owner@ai.example', password: 'browser ai replies password' };
const CUSTOMER = { wa_id: '447700900555', name: 'Iris Novak' };
const DRAFT = 'We open at 9:00 on Saturday, see you then!';

/**
 * A tiny OpenAI-compatible server: `POST /v1/chat/completions`, JSON or streamed as SSE. It answers
 * every question with the same draft, in small pieces when streaming.
 */
function startFakeLlm(): Promise<{ url: string; server: Server; requests: unknown[] }> {
  const requests: unknown[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { message: 'not found' } }));
        return;
      }
      const body = JSON.parse(raw) as {
        model: string;
        stream?: boolean;
        messages: { role: string; content: string }[];
      };
      requests.push(body);
      const usage = { prompt_tokens: 120, completion_tokens: 14, total_tokens: 134 };
      const last = body.messages[body.messages.length - 1]?.content ?? '';
      const asksHours = /saturday/i.test(last);
      if (!body.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            id: 'chatcmpl-1',
            object: 'chat.completion',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [
              {
                index: 0,
                // A customer's question about opening hours gets the draft; the settings' test gets OK.
                message: { role: 'assistant', content: asksHours ? DRAFT : 'OK' },
                finish_reason: 'stop',
              },
            ],
            usage,
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      const chunk = (delta: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
        `data: ${JSON.stringify({
          id: 'chatcmpl-2',
          object: 'chat.completion.chunk',
          created: Math.floor(Date.now() / 1000),
          model: body.model,
          choices: [{ index: 0, delta, finish_reason: null }],
          ...extra,
        })}\n\n`;
      const pieces = DRAFT.match(/.{1,8}/g) ?? [DRAFT];
      let i = 0;
      res.write(chunk({ role: 'assistant', content: '' }));
      const timer = setInterval(() => {
        if (i < pieces.length) {
          res.write(chunk({ content: pieces[i++] }));
          return;
        }
        clearInterval(timer);
        res.write(
          `data: ${JSON.stringify({
            id: 'chatcmpl-2',
            object: 'chat.completion.chunk',
            created: Math.floor(Date.now() / 1000),
            model: body.model,
            choices: [],
            usage,
          })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      }, 20);
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/v1`, server, requests });
    }),
  );
}

describe.skipIf(!hasChromium)('AI replies in Chromium', () => {
  let h: Harness;
  let base: string;
  let llm: Awaited<ReturnType<typeof startFakeLlm>>;

  beforeAll(async () => {
    llm = await startFakeLlm();
    h = await startHarness(
      { ...ADMIN, org: 'AI Bakery' },
      { SANDBOX_PACE: '0', FETCH_ALLOW_PRIVATE: '127.0.0.1' },
    );
    base = h.server.url;
    await signIn(h.page, base, ADMIN);
  }, 120_000);
  afterAll(async () => {
    await h?.stop();
    await new Promise((r) => llm?.server.close(r));
  });

  it('an admin points the AI at an OpenAI-compatible server, tests it and sets a number to suggest mode', async () => {
    const { page } = h;
    await page.goto(`${base}/settings`);
    await page
      .getByRole('navigation', { name: 'Settings' })
      .getByRole('link', { name: 'AI', exact: true })
      .click();
    await page.waitForURL(/\/settings\/ai$/);
    const form = page.getByRole('form', { name: 'AI settings' });
    await form.getByLabel('Provider').selectOption('openai_compatible');
    await form.getByLabel('Model', { exact: true }).fill('fake-model');

    // Without a base URL the server refuses, and says so next to the field.
    await form.getByLabel('Base URL').fill('');
    await form.getByRole('button', { name: 'Save AI settings' }).click();
    await form.getByText('an OpenAI-compatible provider needs a base URL').first().waitFor();

    await form.getByLabel('Base URL').fill(llm.url);
    await form.getByLabel('Daily token budget').fill('100000');
    await form.getByRole('button', { name: 'Save AI settings' }).click();
    await form.getByText('AI settings saved.').waitFor();

    await form.getByRole('button', { name: 'Test' }).click();
    await expect
      .poll(() => form.getByTestId('ai-test-result').textContent())
      .toMatch(/^OK — fake-model answered in \d+ ms: “OK”/);
    await page.getByRole('progressbar', { name: 'Tokens used today against the budget' }).waitFor();
    // The sandbox's own fake model answered its simulated customers before: at least the test's 134.
    await expect
      .poll(async () =>
        Number(
          (await page.getByTestId('ai-usage').textContent())
            ?.match(/^([\d,]+) tokens/)?.[1]
            ?.replace(/,/g, ''),
        ),
      )
      .toBeGreaterThanOrEqual(134);

    const numberForm = page.getByRole('form', { name: /^AI of / }).first();
    await numberForm.getByLabel('Mode').selectOption('suggest');
    await numberForm.getByLabel('System prompt').fill('You answer for AI Bakery. Be brief.');
    await numberForm.getByRole('button', { name: 'Save' }).click();
    await numberForm.getByText('Saved.').waitFor();

    // The test call is in the log.
    const log = page.getByTestId('ai-calls');
    await expect.poll(() => log.textContent()).toContain('test');
    await h.shot('ai-1-settings');

    const numbers = (await (await page.request.get(`${base}/api/v1/ai/numbers`)).json()) as {
      data: { mode: string; system_prompt: string }[];
    };
    expect(numbers.data).toEqual([
      expect.objectContaining({ mode: 'suggest', system_prompt: 'You answer for AI Bakery. Be brief.' }),
    ]);
    const settings = (await (await page.request.get(`${base}/api/v1/ai/settings`)).json()) as Record<
      string,
      unknown
    >;
    expect(settings).toMatchObject({ provider: 'openai_compatible', base_url: llm.url, configured: true });
  });

  it('a knowledge entry is added, listed and found by "Try a question"', async () => {
    const { page } = h;
    await page
      .getByRole('navigation', { name: 'Settings' })
      .getByRole('link', { name: 'Knowledge base' })
      .click();
    await page.waitForURL(/\/settings\/knowledge$/);
    // The sandbox shop's knowledge is there from the first start.
    await page
      .getByTestId('knowledge-list')
      .getByRole('row', { name: /Delivery and tracking/ })
      .waitFor();
    await page.getByRole('button', { name: 'New entry' }).click();
    const form = page.getByRole('form', { name: 'New entry' });
    await form.getByLabel('Title').fill('Opening hours');
    await form
      .getByLabel('Text')
      .fill('We open Monday to Saturday from 9:00 to 17:00. On Sunday we are closed.');
    await form.getByRole('button', { name: 'Add entry' }).click();
    await page.getByText('Saved “Opening hours”.').waitFor();
    const row = page.getByTestId('knowledge-list').getByRole('row', { name: /^Opening hours/ });
    await row.waitFor();
    expect(await row.textContent()).toContain('All numbers');

    const ask = page.getByRole('form', { name: 'Try a question' });
    await ask.getByLabel('Question').fill('Are you open on Saturday?');
    await ask.getByRole('button', { name: 'Search' }).click();
    const passages = page.getByRole('list', { name: 'Passages' });
    await passages.waitFor();
    expect(await passages.textContent()).toContain('Opening hours');
    expect(await passages.textContent()).toContain('Monday to Saturday');
    await h.shot('ai-2-knowledge');
  });

  it('in suggest mode a draft streams into the composer by itself; the agent regenerates it', async () => {
    const { page } = h;
    await customerSends(h, CUSTOMER.wa_id, {
      type: 'text',
      name: CUSTOMER.name,
      text: 'Are you open on Saturday?',
    });
    await page.goto(`${base}/inbox`);
    const item = page
      .getByRole('list', { name: 'Conversations' })
      .getByRole('link', { name: new RegExp(CUSTOMER.name) });
    await item.waitFor({ timeout: 20_000 });
    await item.click();
    await page.getByRole('log', { name: 'Messages' }).getByText('Are you open on Saturday?').waitFor();
    const bar = page.getByRole('region', { name: 'AI' });
    await bar.getByText('AI: suggest').waitFor();
    await bar.getByText(/AI replies: 0 \/ 40/).waitFor();

    // Suggest mode: the draft streams into the reply box by itself; Regenerate asks again.
    const reply = page.getByLabel('Reply', { exact: true });
    await expect.poll(() => reply.inputValue(), { timeout: 15_000 }).toBe(DRAFT);
    await page.getByRole('button', { name: 'Regenerate' }).click();
    await expect.poll(() => reply.inputValue(), { timeout: 15_000 }).toBe(DRAFT);
    await h.shot('ai-3-composer-suggestion');

    // The suggestion call is logged with its purpose.
    const calls = (await (await page.request.get(`${base}/api/v1/ai/calls?purpose=suggest`)).json()) as {
      data: { outcome: string }[];
    };
    expect(calls.data).toEqual([
      expect.objectContaining({ outcome: 'ok' }),
      expect.objectContaining({ outcome: 'ok' }),
    ]);
  });

  it('in auto mode the AI answers with a badge and its sources; the agent takes over and hands back', async () => {
    const { page } = h;
    const numbers = (await (await page.request.get(`${base}/api/v1/ai/numbers`)).json()) as {
      data: { number_id: string }[];
    };
    const set = await page.request.patch(`${base}/api/v1/ai/numbers/${numbers.data[0]!.number_id}`, {
      data: { mode: 'auto' },
    });
    expect(set.status(), await set.text()).toBe(200);
    const fast = await page.request.patch(`${base}/api/v1/ai/settings`, { data: { debounce_seconds: 0 } });
    expect(fast.status(), await fast.text()).toBe(200);

    await customerSends(h, '447700900556', { type: 'text', name: 'Omar Haddad', text: 'Open on Saturday?' });
    await page.goto(`${base}/inbox`);
    const item = page.getByRole('list', { name: 'Conversations' }).getByRole('link', { name: /Omar Haddad/ });
    await item.waitFor({ timeout: 20_000 });
    await item.click();
    const thread = page.getByRole('log', { name: 'Messages' });
    await thread.getByText(DRAFT).waitFor({ timeout: 30_000 });
    const aiReply = thread.locator('li', { has: page.getByText(DRAFT) });
    await aiReply.getByText('AI', { exact: true }).waitFor();
    await aiReply.getByText(/Sources: .*Opening hours/).waitFor({ timeout: 15_000 });

    const bar = page.getByRole('region', { name: 'AI' });
    await bar.getByText('AI: auto').waitFor();
    await bar.getByText('The AI is answering').waitFor();
    await bar.getByText(/AI replies: 1 \/ 40/).waitFor({ timeout: 15_000 });
    await h.shot('ai-4-inbox-auto');

    await bar.getByRole('button', { name: 'Take over' }).click();
    await bar.getByText(/^Handed over to people/).waitFor();
    // The AI's answer is the newest message: nothing waits for a draft.
    expect(await page.getByRole('button', { name: '✨ Suggest a reply' }).count()).toBe(0);
    await bar.getByRole('button', { name: 'Hand back to AI' }).click();
    await bar.getByText('The AI is answering').waitFor();

    // Each customer text gets an intent label (this test's model knows no label: the last of the
    // list, "other"): the chip on the message, and the inbox filters by it.
    await thread.getByText('other', { exact: true }).first().waitFor({ timeout: 15_000 });
    await page.getByLabel('Filter by intent').selectOption('spam');
    await page.getByText('No conversations match these filters.').waitFor();
    await page.getByLabel('Filter by intent').selectOption('other');
    await item.waitFor();
  });
});
