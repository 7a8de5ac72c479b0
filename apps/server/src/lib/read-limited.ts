import type { Readable } from 'node:stream';

/**
 * A response body read whole, but never more than `maxBytes`: past that the stream is destroyed
 * (the rest is not downloaded) and the answer is undefined.
 */
export async function readLimited(body: Readable, maxBytes: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
