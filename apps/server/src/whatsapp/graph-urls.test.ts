import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaEnvelope } from '../../test/helpers/meta-fixtures.ts';
import { storeWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';
import { createCloudApiProvider } from './cloud-api.provider.ts';
import type { GraphError } from './graph-error.ts';
import type { WhatsAppProvider } from './provider.ts';

// The simulator answers with paging `next` and media URLs on another host (its public_url), where
// a canary server counts what reaches it: the token, and this server, must never go there.
const NUM = {
  phone_number_id: '8700001',
  waba_id: '8700002',
  display_phone_number: '+1 555 087 0001',
  access_token: 'tok-graph-urls-1',
};
const SECRET = 'graph-urls-secret';

let canary: Server;
const hits: IncomingMessage[] = [];
let sim: Simulator;
let graphUrl: string;
let provider: WhatsAppProvider;
let t: TestApp;
const creds = { phoneNumberId: NUM.phone_number_id, accessToken: NUM.access_token };

beforeAll(async () => {
  canary = createServer((req, res) => {
    hits.push(req);
    res.end('{}');
  });
  await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
  const canaryPort = (canary.address() as AddressInfo).port;
  sim = await startSimulator({ seed: 87, public_url: `http://localhost:${canaryPort}` }, [NUM]);
  graphUrl = `http://127.0.0.1:${(sim.app.server.address() as AddressInfo).port}`;
  for (let i = 0; i < 5; i++) {
    sim.addTemplate({
      waba_id: NUM.waba_id,
      name: `offer_${i}`,
      language: 'en_US',
      category: 'MARKETING',
      components: [{ type: 'BODY', text: `Offer ${i} for you.` }],
    });
  }
  provider = createCloudApiProvider({ baseUrl: graphUrl, version: 'v23.0', timeoutMs: 2000 });
  t = await createTestApp({ META_GRAPH_URL: graphUrl });
  await connectNumber(await t.owner(), NUM, {
    appSecret: SECRET,
    displayName: 'Graph URLs',
    verifyToken: 'graph-urls-verify',
  });
});
afterAll(async () => {
  await t?.close();
  await provider?.close();
  await sim?.close();
  canary?.close();
});

const refusal = (e: unknown) => {
  const g = e as GraphError;
  return { code: g.code, kind: g.kind };
};

/** A customer sends a photo (the simulator keeps the file), delivered signed and processed. */
async function receiveImage() {
  const sent = sim.customerSend(NUM.phone_number_id, '16505550888', 'image', { caption: 'here' })!;
  await storeWebhook(t, metaEnvelope(NUM.waba_id, [sent.change]), SECRET);
  const [row] = await t.database.query<{ id: string; meta_media_id: string }>(
    'select f.id, f.meta_media_id from media_files f join messages m on m.id = f.message_id where m.wamid = $1',
    [sent.id],
  );
  return row!;
}

describe(`Graph answers that point elsewhere (${settings.backend})`, () => {
  it('a paging `next` on another host is not followed: the listing fails for good, nothing reaches that host', async () => {
    const e = await provider
      .listTemplates({ wabaId: NUM.waba_id, accessToken: NUM.access_token }, { pageSize: 2 })
      .catch((x: unknown) => x);
    expect(refusal(e)).toEqual({ code: 'REFUSED_URL', kind: 'permanent' });
    expect((e as GraphError).title).toBe('Refusing to follow a paging link off the Graph API host');
    expect(hits).toHaveLength(0);
  });

  it('template sync stops at such a page and stores nothing from it', async () => {
    const r = await t.app.services.templates.sync(t.orgId, { pageSize: 2 });
    expect(r).toMatchObject({ wabas: 0, templates: 0, created: 0 });
    expect(r.errors).toEqual([
      { waba_id: NUM.waba_id, message: expect.stringMatching(/Refusing to follow a paging link/) },
    ]);
    expect(await t.database.query('select id from templates')).toEqual([]);
    expect(hits).toHaveLength(0);
  });

  it('a media URL on another host is not downloaded: the file fails at once, the token goes nowhere', async () => {
    const file = await receiveImage();
    const info = await provider.getMedia(creds, file.meta_media_id);
    expect(new URL(info.url).hostname).toBe('localhost');
    const e = await provider.downloadMedia(creds, info.url).catch((x: unknown) => x);
    expect(refusal(e)).toEqual({ code: 'REFUSED_URL', kind: 'permanent' });

    // Permanent: failed on the first attempt, not retried.
    expect(await t.app.services.media.download(t.orgId, file.id, { lastAttempt: false })).toEqual({
      state: 'failed',
    });
    const [row] = await t.database.query<{ error: string; storage_key: string | null }>(
      'select error, storage_key from media_files where id = $1',
      [file.id],
    );
    expect(row).toEqual({
      error: 'Meta: Refusing to download media from an unexpected host (not Meta’s)',
      storage_key: null,
    });
    expect(hits).toHaveLength(0);
  });

  it.each([
    ['plain http to Meta’s host', 'http://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1'],
    ['another port on Meta’s host', 'https://lookaside.fbsbx.com:8443/whatsapp_business/attachments/'],
    ['a look-alike host', 'https://lookaside.fbsbx.com.attacker.example/x'],
    ['Meta’s name in the path', 'https://attacker.example/lookaside.fbsbx.com/x'],
    ['credentials before Meta’s host', 'https://x:y@lookaside.fbsbx.com/x'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['the Graph host on another port', 'GRAPH_OTHER_PORT'],
    ['the Graph host over https', 'GRAPH_OVER_HTTPS'],
    ['not a URL', 'lookaside.fbsbx.com/x'],
  ])('media download refused before any request: %s', async (_name, raw) => {
    const url = raw
      .replace('GRAPH_OTHER_PORT', `${graphUrl.replace(/:\d+$/, ':1')}/media`)
      .replace('GRAPH_OVER_HTTPS', graphUrl.replace('http:', 'https:'));
    const e = await provider.downloadMedia(creds, url).catch((x: unknown) => x);
    expect(refusal(e)).toEqual({ code: 'REFUSED_URL', kind: 'permanent' });
  });
});
