import { randomUUID } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { MediaStore } from './store.ts';

/** One suite for every MediaStore: what the download job and the media route rely on. */
export function mediaStoreContract(name: string, make: () => Promise<MediaStore> | MediaStore) {
  describe(`MediaStore contract: ${name}`, () => {
    it('stores, reads back, overwrites and deletes', async () => {
      const store = await make();
      const key = `org-${randomUUID()}/2026-11/${randomUUID()}`;
      expect(await store.get(key)).toBeUndefined();
      await store.put(key, Buffer.from('first'), 'text/plain');
      const got = await store.get(key);
      expect(got?.size).toBe(5);
      expect(await text(got!.body)).toBe('first');
      await store.put(key, Buffer.from('second version'), 'text/plain');
      expect(await text((await store.get(key))!.body)).toBe('second version');
      await store.delete(key);
      expect(await store.get(key)).toBeUndefined();
      await store.delete(key); // deleting twice is fine
    });

    it('keeps binary data byte for byte', async () => {
      const store = await make();
      const key = `org-${randomUUID()}/bin/${randomUUID()}`;
      const data = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) % 256));
      await store.put(key, data, 'application/octet-stream');
      const got = await store.get(key);
      const chunks: Buffer[] = [];
      for await (const c of got!.body) chunks.push(c as Buffer);
      expect(Buffer.concat(chunks).equals(data)).toBe(true);
    });

    it('refuses keys that could escape the store', async () => {
      const store = await make();
      for (const key of ['../etc/passwd', 'a/../../b', '/abs', 'a//b', 'a/b c']) {
        await expect(store.put(key, Buffer.from('x'), 'text/plain')).rejects.toThrow(/invalid media key/);
      }
    });
  });
}
