import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';

/** Meta's accepted media types and size limits (shared/reference/cloud-api.md §5). */
export const MEDIA_LIMITS: Record<string, number> = {
  'audio/aac': 16 << 20,
  'audio/amr': 16 << 20,
  'audio/mpeg': 16 << 20,
  'audio/mp4': 16 << 20,
  'audio/ogg': 16 << 20,
  'text/plain': 100 << 20,
  'application/pdf': 100 << 20,
  'application/vnd.ms-powerpoint': 100 << 20,
  'application/msword': 100 << 20,
  'application/vnd.ms-excel': 100 << 20,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 100 << 20,
  'application/vnd.openxmlformats-officedocument.presentationml.presentation': 100 << 20,
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 100 << 20,
  'image/jpeg': 5 << 20,
  'image/png': 5 << 20,
  'image/webp': 500 << 10,
  'video/mp4': 16 << 20,
  'video/3gp': 16 << 20,
  'video/3gpp': 16 << 20,
};

export interface StoredMedia {
  id: string;
  phone_number_id: string;
  mime_type: string;
  data: Buffer;
  sha256: string;
  created_at: number;
}

export function storedMedia(id: string, phoneNumberId: string, mimeType: string, data: Buffer): StoredMedia {
  return {
    id,
    phone_number_id: phoneNumberId,
    mime_type: mimeType,
    data,
    sha256: createHash('sha256').update(data).digest('base64'),
    created_at: Date.now(),
  };
}

/** Signs a download URL that expires, like Meta's lookaside URLs (5 minutes). */
export function mediaUrl(base: string, id: string, ttlMs: number, key: string): string {
  const exp = Date.now() + ttlMs;
  const sig = createHmac('sha256', key).update(`${id}.${exp}`).digest('hex').slice(0, 32);
  return `${base}/_media/${id}?ext=${exp}&hash=${sig}`;
}

export function checkMediaUrl(
  id: string,
  exp: string,
  sig: string,
  key: string,
): 'ok' | 'expired' | 'invalid' {
  const want = createHmac('sha256', key).update(`${id}.${exp}`).digest('hex').slice(0, 32);
  if (want.length !== sig.length || !timingSafeEqual(Buffer.from(want), Buffer.from(sig))) return 'invalid';
  return Number(exp) < Date.now() ? 'expired' : 'ok';
}

const ASSETS = new URL('../assets/', import.meta.url);
const assets = new Map<string, Buffer>();

/** A file of packages/simulator/assets, read once. */
function asset(name: string): Buffer {
  let data = assets.get(name);
  if (!data) {
    data = readFileSync(new URL(name, ASSETS));
    assets.set(name, data);
  }
  return data;
}

/**
 * Photos simulated customers send: real images of a few KB (drawn once with ffmpeg), so a received
 * photo is downloaded, stored and shown like one from a phone.
 */
export const SAMPLE_IMAGES = {
  parcel: { file: 'photo-parcel.jpg', mime: 'image/jpeg' },
  mug: { file: 'photo-mug.jpg', mime: 'image/jpeg' },
  receipt: { file: 'order-confirmation.png', mime: 'image/png' },
} as const;
export type SampleImage = keyof typeof SAMPLE_IMAGES;

const isSampleImage = (s: string | undefined): s is SampleImage => s !== undefined && s in SAMPLE_IMAGES;

/** Small stand-in files for media that simulated customers send (`sample` picks one of SAMPLE_IMAGES). */
export function sampleMedia(kind: string, sample?: string): { mime: string; data: Buffer } {
  switch (kind) {
    case 'image': {
      const img = SAMPLE_IMAGES[isSampleImage(sample) ? sample : 'mug'];
      return { mime: img.mime, data: asset(img.file) };
    }
    case 'video':
      return { mime: 'video/mp4', data: Buffer.from('00000018667479706d703432000000006d703432', 'hex') };
    case 'document':
      return {
        mime: 'application/pdf',
        data: Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n'),
      };
    case 'audio':
      return { mime: 'audio/mpeg', data: Buffer.from('4944330300000000000f', 'hex') };
    case 'voice':
      // A real voice note: three seconds of Opus in Ogg, as WhatsApp records them.
      return { mime: 'audio/ogg; codecs=opus', data: asset('voice-note.ogg') };
    default:
      return { mime: 'image/webp', data: Buffer.from('RIFF\x1a\0\0\0WEBPVP8 simulated-sticker') };
  }
}
