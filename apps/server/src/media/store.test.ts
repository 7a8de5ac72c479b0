import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { createDirMediaStore } from './dir.store.ts';
import { createS3MediaStore } from './s3.store.ts';
import { mediaStoreContract } from './store.contract.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'openwaba-media-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
mediaStoreContract('directory', () => createDirMediaStore(dir));

/**
 * A minimal S3-compatible object server (path-style PUT/GET/DELETE) standing in for S3/MinIO, which
 * cannot run here. It refuses requests that are not SigV4-signed for its key, region and service, or
 * whose payload hash does not match the body.
 */
const objects = new Map<string, { body: Buffer; type: string }>();
const s3 = createServer(async (req, res) => {
  const body = await read(req);
  const auth = String(req.headers.authorization ?? '');
  const signedFor =
    /^AWS4-HMAC-SHA256 Credential=TESTKEY\/\d{8}\/eu-test-1\/s3\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/;
  const hash = req.headers['x-amz-content-sha256'];
  if (
    !signedFor.test(auth) ||
    !req.headers['x-amz-date'] ||
    (hash !== 'UNSIGNED-PAYLOAD' && hash !== sha256(body))
  ) {
    res.writeHead(403).end('<Error><Code>SignatureDoesNotMatch</Code></Error>');
    return;
  }
  const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
  if (!path.startsWith('/media-bucket/')) {
    res.writeHead(404).end('<Error><Code>NoSuchBucket</Code></Error>');
    return;
  }
  if (req.method === 'PUT') {
    objects.set(path, { body, type: String(req.headers['content-type'] ?? '') });
    res.writeHead(200).end();
  } else if (req.method === 'GET') {
    const o = objects.get(path);
    if (!o) res.writeHead(404).end('<Error><Code>NoSuchKey</Code></Error>');
    else res.writeHead(200, { 'content-type': o.type, 'content-length': o.body.length }).end(o.body);
  } else if (req.method === 'DELETE') {
    objects.delete(path);
    res.writeHead(204).end();
  } else res.writeHead(405).end();
});
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
async function read(req: IncomingMessage) {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
let endpoint = '';
beforeAll(async () => {
  await new Promise<void>((r) => s3.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${(s3.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => s3.close(() => r())));
mediaStoreContract('S3-compatible', () =>
  createS3MediaStore({
    endpoint,
    bucket: 'media-bucket',
    region: 'eu-test-1',
    accessKeyId: 'TESTKEY',
    secretAccessKey: 'test-secret',
  }),
);
