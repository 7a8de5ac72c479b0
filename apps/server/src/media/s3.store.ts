import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AwsClient } from 'aws4fetch';
import { assertKey, type MediaStore } from './store.ts';

export interface S3Options {
  endpoint: string;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/**
 * Media files in S3-compatible storage (AWS S3, MinIO, R2, …), path-style URLs, requests signed with
 * AWS Signature V4 by aws4fetch (see docs/adr/0009-media-store.md).
 */
export function createS3MediaStore(o: S3Options): MediaStore {
  const aws = new AwsClient({
    accessKeyId: o.accessKeyId,
    secretAccessKey: o.secretAccessKey,
    region: o.region,
    service: 's3',
  });
  const urlOf = (key: string) => {
    assertKey(key);
    return `${o.endpoint.replace(/\/$/, '')}/${encodeURIComponent(o.bucket)}/${key}`;
  };
  const fail = async (what: string, res: Response) => {
    const text = (await res.text().catch(() => '')).slice(0, 300);
    throw new Error(`S3 ${what} answered HTTP ${res.status}${text ? `: ${text}` : ''}`);
  };
  return {
    kind: 's3',
    async put(key, data, contentType) {
      const res = await aws.fetch(urlOf(key), {
        method: 'PUT',
        body: data as Uint8Array<ArrayBuffer>,
        headers: { 'content-type': contentType, 'content-length': String(data.length) },
      });
      if (!res.ok) await fail('PUT', res);
      await res.arrayBuffer();
    },
    async get(key) {
      const res = await aws.fetch(urlOf(key), { method: 'GET' });
      if (res.status === 404) {
        await res.arrayBuffer();
        return undefined;
      }
      if (!res.ok || !res.body) return fail('GET', res);
      return {
        body: Readable.fromWeb(res.body as WebReadableStream),
        size: Number(res.headers.get('content-length') ?? 0),
      };
    },
    async delete(key) {
      const res = await aws.fetch(urlOf(key), { method: 'DELETE' });
      if (!res.ok && res.status !== 404) await fail('DELETE', res);
      await res.arrayBuffer();
    },
  };
}
