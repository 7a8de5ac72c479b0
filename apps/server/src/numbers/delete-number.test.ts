import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Simulator } from '@openwaba/simulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSimulator } from '../../test/helpers/connect-number.ts';
import { createTestApp, settings, type TestApp, type TestClient } from '../../test/helpers.ts';
import { connectTenant, deliver, envelope, messagesChange, type Tenant } from '../inbound/test-kit.ts';
import { createDirMediaStore } from '../media/dir.store.ts';

const SECRET = 'delete-number-secret';
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);

let sim: Simulator;
let t: TestApp;
let owner: TestClient;
let mediaDir: string;
let lines: Tenant[];

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'openwaba-delete-number-'));
  sim = await startSimulator({ seed: 31 });
  t = await createTestApp({ META_GRAPH_URL: sim.url, MEDIA_DIR: mediaDir });
  owner = await t.owner();
  lines = [
    await connectTenant(t, sim, { phone: '3100001', waba: '3200001', secret: SECRET }),
    await connectTenant(t, sim, { phone: '3100002', waba: '3200001', secret: SECRET }),
  ];
});
afterAll(async () => {
  await t.close();
  await sim.close();
  await rm(mediaDir, { recursive: true, force: true });
});

/** A customer's message to `n` (an image when a media id is given), signed like Meta and processed. */
const receive = (n: Tenant, id: string, image?: string) =>
  deliver(
    t,
    envelope(n.wabaId, [
      messagesChange(n, [
        {
          id,
          from: '16505550444',
          ...(image
            ? { m: { type: 'image', image: { id: image, mime_type: 'image/png', sha256: 'x' } } }
            : {}),
        },
      ]),
    ]),
    SECRET,
  );

const storageKeys = async (numberId: string) =>
  (
    await t.database.query<{ k: string }>(
      `select storage_key as k from media_files where number_id = $1 and storage_key is not null
       union select storage_key from outbound_media where number_id = $1`,
      [numberId],
    )
  ).map((r) => r.k);
const stored = async (key: string) => (await createDirMediaStore(mediaDir).get(key)) !== undefined;
const remove = (id: string, confirm?: unknown) =>
  owner.request('DELETE', `/api/v1/numbers/${id}`, confirm === undefined ? undefined : { confirm });

describe(`deleting a number on ${settings.backend}`, () => {
  it('shows what goes with it, refuses a stale confirmation, removes its files and audits it', async () => {
    const [a, b] = lines.map((n) => n.numberId) as [string, string];
    await receive(lines[0]!, 'wamid.DEL-TEXT');
    const { id: mediaId } = await t.app.services.whatsapp.uploadMedia(
      { phoneNumberId: lines[0]!.phoneId, accessToken: `token-${lines[0]!.phoneId}` },
      { data: PNG, mimeType: 'image/png' },
    );
    await receive(lines[0]!, 'wamid.DEL-IMAGE', mediaId);
    const [file] = await t.database.query<{ id: string }>('select id from media_files where number_id = $1', [
      a,
    ]);
    expect(await t.app.services.media.download(t.orgId, file!.id, { lastAttempt: true })).toEqual({
      state: 'ready',
    });
    // The same file sent on both numbers is stored once (the key is per organisation and sha256).
    await t.app.services.media.prepareOutbound(t.orgId, a, { data: PNG, mimeType: 'image/png' });
    await t.app.services.media.prepareOutbound(t.orgId, b, { data: PNG, mimeType: 'image/png' });
    await t.database.query(
      `insert into campaigns (org_id, number_id, name, audience, templates) values ($1, $2, 'Spring', '{}', '[]')`,
      [t.orgId, a],
    );
    const keysA = await storageKeys(a);
    const [sharedKey] = await storageKeys(b);
    expect(keysA).toHaveLength(2);
    for (const k of keysA) expect(await stored(k)).toBe(true);

    const preview = await owner.get(`/api/v1/numbers/${a}/deletion`);
    expect(preview.statusCode).toBe(200);
    const counts = { conversations: 1, messages: 2, campaigns: 1, media_files: 2 };
    expect(preview.json()).toEqual(counts);

    expect((await remove(a)).statusCode).toBe(400);
    const stale = await remove(a, { ...counts, messages: 1 });
    expect(stale.statusCode).toBe(409);
    expect(stale.json().error.details).toEqual({ current: counts });
    // Another organisation's owner gets 404 for both.
    const other = await t.app.services.orgs.setupOwner({
      email: 'delete-other@example.com',
      password: 'other password 12',
      orgName: 'Other',
    });
    expect(other.orgId).toBeTruthy();
    const stranger = t.client();
    await stranger.login('delete-other@example.com', 'other password 12');
    expect((await stranger.get(`/api/v1/numbers/${a}/deletion`)).statusCode).toBe(404);
    expect((await stranger.request('DELETE', `/api/v1/numbers/${a}`, { confirm: counts })).statusCode).toBe(
      404,
    );
    expect((await owner.get('/api/v1/numbers')).json().data).toHaveLength(2);

    const done = await remove(a, counts);
    expect(done.statusCode, done.body).toBe(200);
    expect((await owner.get('/api/v1/numbers')).json().data.map((n: { id: string }) => n.id)).toEqual([b]);
    const left = await t.database.query(
      `select 1 from messages where number_id = $1 union all select 1 from campaigns where number_id = $1`,
      [a],
    );
    expect(left).toEqual([]);
    // Its own file is gone from the store; the file the other number still uses stays.
    for (const k of keysA.filter((x) => x !== sharedKey)) expect(await stored(k)).toBe(false);
    expect(await stored(sharedKey!)).toBe(true);
    const audit = (await owner.get('/api/v1/audit?action=number.delete')).json().data;
    expect(audit).toHaveLength(1);
    expect(audit[0].after).toMatchObject({ deleted: counts });

    const bCounts = (await owner.get(`/api/v1/numbers/${b}/deletion`)).json();
    expect(bCounts).toEqual({ conversations: 0, messages: 0, campaigns: 0, media_files: 1 });
    expect((await remove(b, bCounts)).statusCode).toBe(200);
    expect(await stored(sharedKey!)).toBe(false);
  });
});
