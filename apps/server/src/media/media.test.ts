import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNumber, startSimulator } from '../../test/helpers/connect-number.ts';
import { metaFixture } from '../../test/helpers/meta-fixtures.ts';
import { deliverWebhook } from '../../test/helpers/webhooks.ts';
import { createTestApp, settings, type TestApp } from '../../test/helpers.ts';

const NUM = {
  phone_number_id: '3000001',
  waba_id: '4000001',
  display_phone_number: '+1 555 030 0001',
  access_token: 'token-media-0001',
};
const APP_SECRET = 'media-app-secret-1';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let sim: Simulator;
let t: TestApp;
let mediaDir: string;
const creds = { phoneNumberId: NUM.phone_number_id, accessToken: NUM.access_token };

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'openwaba-media-test-'));
  sim = await startSimulator({ seed: 21 }, [NUM]);
  t = await createTestApp({ META_GRAPH_URL: sim.url, MEDIA_DIR: mediaDir, MEDIA_MAX_BYTES: '4096' });
  await connectNumber(await t.owner(), NUM, {
    appSecret: APP_SECRET,
    displayName: 'Media',
    verifyToken: 'media-verify',
  });
});
afterAll(async () => {
  await t.close();
  await sim.close();
  await rm(mediaDir, { recursive: true, force: true });
});

/** An inbound message carrying a media id the simulator knows (as Meta's would). */
async function receive(type: 'image' | 'document', mediaId: string, mime: string, extra = {}) {
  const wamid = `wamid.MEDIA${Math.random().toString(36).slice(2)}`;
  const payload = metaFixture(type === 'image' ? 'message-image' : 'message-document', {
    wabaId: NUM.waba_id,
    phoneNumberId: NUM.phone_number_id,
    displayPhone: '15550300001',
    wamid,
    message: { [type]: { id: mediaId, mime_type: mime, sha256: 'x', ...extra } },
  });
  await deliverWebhook(t, payload, APP_SECRET);
  const [row] = await t.database.query<{ message_id: string; file_id: string; state: string }>(
    `select m.id as message_id, f.id as file_id, f.state from messages m join media_files f on f.message_id = m.id
     where m.wamid = $1`,
    [wamid],
  );
  return row!;
}

describe(`received media on ${settings.backend}`, () => {
  it('records the file as pending with its message, downloads it from Meta and serves it to the org only', async () => {
    const { id: mediaId } = await t.app.services.whatsapp.uploadMedia(creds, {
      data: PNG,
      mimeType: 'image/png',
    });
    const m = await receive('image', mediaId, 'image/png');
    expect(m.state).toBe('pending');

    const owner = await t.owner();
    const early = await owner.get(`/api/v1/messages/${m.message_id}/media`);
    expect(early.statusCode).toBe(409);
    expect(early.json().error.message).toMatch(/still downloading/);

    expect(await t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: false })).toEqual({
      state: 'ready',
    });
    const file = await owner.get(`/api/v1/messages/${m.message_id}/media`);
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-type']).toBe('image/png');
    expect(file.headers['x-content-type-options']).toBe('nosniff');
    expect(file.rawPayload.equals(PNG)).toBe(true);

    // The message API says where the file stands.
    const conv = (await owner.get('/api/v1/conversations')).json().data[0];
    const msgs = (await owner.get(`/api/v1/conversations/${conv.id}/messages`)).json().data;
    expect(msgs[0].media).toEqual({ state: 'ready', mime_type: 'image/png', size: PNG.length, error: null });

    // Downloading again is a no-op; a signed-out request and another organisation see nothing.
    expect(await t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: false })).toEqual({
      state: 'ready',
    });
    expect((await t.client().get(`/api/v1/messages/${m.message_id}/media`)).statusCode).toBe(401);
    await t.app.services.orgs.setupOwner({
      email: 'media-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    const stranger = t.client();
    await stranger.login('media-other@example.com', 'other password 12');
    expect((await stranger.get(`/api/v1/messages/${m.message_id}/media`)).statusCode).toBe(404);
  });

  it('refuses files over the size limit or of a type WhatsApp does not send, without retrying, and says why', async () => {
    const big = await t.app.services.whatsapp.uploadMedia(creds, {
      data: Buffer.alloc(6000, 1),
      mimeType: 'application/pdf',
      filename: 'big.pdf',
    });
    const m = await receive('document', big.id, 'application/pdf', { filename: 'big.pdf' });
    expect(await t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: false })).toEqual({
      state: 'failed',
    });
    const [row] = await t.database.query<{ state: string; error: string; attempts: number }>(
      'select state, error, attempts from media_files where id = $1',
      [m.file_id],
    );
    expect(row).toMatchObject({ state: 'failed', attempts: 1 });
    expect(row!.error).toMatch(/over the 4096-byte limit/);
    const owner = await t.owner();
    const res = await owner.get(`/api/v1/messages/${m.message_id}/media`);
    expect(res.statusCode).toBe(409);
    expect(res.json().error.message).toMatch(/could not be downloaded/);
  });

  it('retries a transient failure, marks the file failed on the last attempt, and keeps the message', async () => {
    const { id: mediaId } = await t.app.services.whatsapp.uploadMedia(creds, {
      data: PNG,
      mimeType: 'image/png',
    });
    const m = await receive('image', mediaId, 'image/png');
    sim.setFaults({ http_5xx: { next: 2, status: 503 } });
    await expect(t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: false })).rejects.toThrow();
    const [mid] = await t.database.query<{ state: string; attempts: number; error: string | null }>(
      'select state, attempts, error from media_files where id = $1',
      [m.file_id],
    );
    expect(mid).toMatchObject({ state: 'pending', attempts: 1 });
    expect(mid!.error).toMatch(/Meta/);
    expect(await t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: true })).toEqual({
      state: 'failed',
    });
    expect(await t.database.query('select 1 from messages where id = $1', [m.message_id])).toHaveLength(1);

    // An agent can ask for it again; the queued job then fetches it.
    const owner = await t.owner();
    const retry = await owner.post(`/api/v1/messages/${m.message_id}/media/retry`, {});
    expect(retry.statusCode).toBe(200);
    expect(retry.json()).toEqual({ state: 'pending' });
    expect(await t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: false })).toEqual({
      state: 'ready',
    });
  });

  it('an id Meta does not know fails at once, with Meta’s words', async () => {
    const m = await receive('image', '999999999999', 'image/jpeg');
    const r = await t.app.services.media
      .download(t.orgId, m.file_id, { lastAttempt: false })
      .catch((e: Error) => e);
    const [row] = await t.database.query<{ state: string; error: string }>(
      'select state, error from media_files where id = $1',
      [m.file_id],
    );
    // Meta's "object does not exist" (code 100) is permanent: no point retrying for days.
    expect(r).toEqual({ state: 'failed' });
    expect(row!.state).toBe('failed');
    expect(row!.error).toMatch(/^Meta: /);
  });

  it('serves documents as attachments with a safe file name', async () => {
    const doc = await t.app.services.whatsapp.uploadMedia(creds, {
      data: Buffer.from('%PDF-1.4 tiny'),
      mimeType: 'application/pdf',
      filename: 'x.pdf',
    });
    const m = await receive('document', doc.id, 'application/pdf', { filename: 'in"voice <1>.pdf' });
    expect(await t.app.services.media.download(t.orgId, m.file_id, { lastAttempt: false })).toEqual({
      state: 'ready',
    });
    const res = await (await t.owner()).get(`/api/v1/messages/${m.message_id}/media`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-disposition']).toBe('attachment; filename="in_voice_1_.pdf"');
    expect(res.body).toBe('%PDF-1.4 tiny');
  });

  it('a stalled pending file is found by the sweep', async () => {
    const { id: mediaId } = await t.app.services.whatsapp.uploadMedia(creds, {
      data: PNG,
      mimeType: 'image/png',
    });
    const m = await receive('image', mediaId, 'image/png');
    await t.database.query(
      `update media_files set created_at = now() - interval '10 minutes' where id = $1`,
      [m.file_id],
    );
    const stalled = await t.app.services.media.findStalled(120);
    expect(stalled.map((s) => s.id)).toContain(m.file_id);
  });
});
