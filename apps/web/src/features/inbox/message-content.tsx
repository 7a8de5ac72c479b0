import type { Message } from '@openwaba/contracts';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Icon, type IconName } from '../../components/icons.tsx';
import { useMe } from '../auth/use-me.ts';
import { TemplateButtons, TemplateText } from '../templates/template-bubble.tsx';
import { fileSize } from './format.ts';
import { inboxKeys } from './keys.ts';

// `content` is the message as WhatsApp sent it (JSON read back from the database): every field is
// checked before it is shown, and text is only ever rendered as text.
type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
};
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
/** Only plain web links become clickable; anything else (javascript:, data:) stays text. */
const webUrl = (v: unknown) => {
  const s = str(v);
  return s && /^https?:\/\/[^\s]+$/i.test(s) ? s : undefined;
};

const MEDIA_TYPES = ['image', 'video', 'audio', 'document', 'sticker'] as const;
type MediaType = (typeof MEDIA_TYPES)[number];
const MEDIA_LABEL: Record<MediaType, { label: string; icon: IconName }> = {
  image: { label: 'Photo', icon: 'image' },
  video: { label: 'Video', icon: 'video' },
  audio: { label: 'Audio', icon: 'audio' },
  document: { label: 'Document', icon: 'document' },
  sticker: { label: 'Sticker', icon: 'image' },
};
const isMedia = (t: string): t is MediaType => (MEDIA_TYPES as readonly string[]).includes(t);

/** A one-line text for quotes and lists, like the server's preview. */
export function previewOf(m: Pick<Message, 'type' | 'content' | 'template'>): string {
  const c = m.content;
  const interactive = obj(c.interactive);
  const text =
    str(obj(c.text).body) ??
    str(obj(c[m.type]).caption) ??
    str(obj(interactive[str(interactive.type) ?? '']).title) ??
    str(obj(c.button).text) ??
    str(obj(c.reaction).emoji) ??
    str(m.template?.body) ??
    str(obj(c.template).name);
  if (text) return text;
  if (isMedia(m.type)) return MEDIA_LABEL[m.type].label;
  return m.type === 'location' ? 'Location' : m.type === 'contacts' ? 'Contact card' : `[${m.type}]`;
}

function Note({ icon, children }: { icon?: IconName; children: ReactNode }) {
  return (
    <p className="flex items-center gap-1.5 text-slate-600 italic">
      {icon && <Icon name={icon} className="h-4 w-4 shrink-0 not-italic" />}
      <span>{children}</span>
    </p>
  );
}

const Text = ({ children }: { children: string }) => (
  <p className="whitespace-pre-wrap break-words [overflow-wrap:anywhere]">{children}</p>
);

/** A failed download is retried by the server on its own; people who can reply may also ask now. */
function RetryMedia({ m }: { m: Message }) {
  const me = useMe();
  const qc = useQueryClient();
  const retry = useMutation({
    mutationFn: () => api.messages.retryMedia(m.id),
    onSettled: () => qc.invalidateQueries({ queryKey: inboxKeys.messages(m.conversation_id) }),
  });
  if (!me.data?.permissions.includes('conversations.reply')) return null;
  return (
    <>
      <button
        type="button"
        onClick={() => retry.mutate()}
        disabled={retry.isPending}
        title={retry.isPending ? 'Retrying…' : undefined}
        className="ml-auto shrink-0 rounded border border-red-300 bg-white px-2 py-0.5 text-xs font-medium text-red-800 hover:bg-red-50"
      >
        {retry.isPending ? 'Retrying…' : 'Try again'}
      </button>
      {retry.error && (
        <span className="sr-only" role="alert">
          {errorMessage(retry.error)}
        </span>
      )}
    </>
  );
}

function MediaContent({ m, type }: { m: Message; type: MediaType }) {
  const body = obj(m.content[type]);
  const caption = str(body.caption);
  const filename = str(body.filename);
  const voice = type === 'audio' && body.voice === true;
  const { label, icon } = MEDIA_LABEL[type];
  const name = voice ? 'Voice message' : label;
  const media = m.media;
  const src = api.messages.mediaUrl(m.id);
  let file: ReactNode;
  if (media?.state === 'ready') {
    if (type === 'image')
      file = (
        <a href={src} target="_blank" rel="noreferrer" className="block">
          <img
            src={src}
            alt={caption ?? 'Photo from the customer'}
            className="max-h-72 min-h-24 max-w-full min-w-24 rounded-md bg-slate-100 object-contain"
            loading="lazy"
          />
        </a>
      );
    else if (type === 'sticker')
      file = <img src={src} alt="Sticker" className="h-32 w-32 object-contain" loading="lazy" />;
    // biome-ignore lint/a11y/useMediaCaption: customers' videos come without caption tracks
    else if (type === 'video') file = <video src={src} controls className="max-h-72 max-w-full rounded-md" />;
    // biome-ignore lint/a11y/useMediaCaption: customers' voice notes come without caption tracks
    else if (type === 'audio') file = <audio src={src} controls aria-label={name} className="max-w-full" />;
    else
      file = (
        <a
          href={src}
          download={filename ?? true}
          className="flex items-center gap-2 rounded-md border border-slate-200 bg-white/70 px-3 py-2 hover:bg-white"
        >
          <Icon name="document" className="h-6 w-6 shrink-0 text-slate-500" />
          <span className="min-w-0">
            <span className="block truncate font-medium">{filename ?? 'Document'}</span>
            <span className="block text-xs text-slate-500">
              {[media.mime_type, fileSize(media.size)].filter(Boolean).join(' · ')}
            </span>
          </span>
        </a>
      );
  } else {
    const status =
      media?.state === 'failed'
        ? `failed: ${media.error ?? 'unknown error'}`
        : media?.state === 'pending'
          ? 'downloading…'
          : 'file not downloaded';
    file = (
      <div
        className={`flex items-center gap-2 rounded-md border px-3 py-2 ${
          media?.state === 'failed' ? 'border-red-200 bg-red-50 text-red-800' : 'border-slate-200 bg-white/60'
        }`}
      >
        <Icon name={icon} className="h-5 w-5 shrink-0 opacity-70" />
        <span className="min-w-0">
          <span className="block truncate font-medium">{filename ?? name}</span>
          <span className="block text-xs">{status}</span>
        </span>
        {media?.state === 'failed' && <RetryMedia m={m} />}
      </div>
    );
  }
  return (
    <div className="space-y-1.5">
      {file}
      {caption && <Text>{caption}</Text>}
    </div>
  );
}

function LocationContent({ c }: { c: Json }) {
  const loc = obj(c.location);
  const lat = num(loc.latitude);
  const lon = num(loc.longitude);
  const map =
    lat !== undefined && lon !== undefined
      ? `https://www.openstreetmap.org/?mlat=${lat}&mlon=${lon}#map=17/${lat}/${lon}`
      : undefined;
  const url = webUrl(loc.url);
  return (
    <div className="flex gap-2">
      <Icon name="location" className="mt-0.5 h-5 w-5 shrink-0 text-red-600" />
      <div className="min-w-0">
        <p className="font-medium">{str(loc.name) ?? 'Location'}</p>
        {str(loc.address) && <p className="text-slate-700">{str(loc.address)}</p>}
        {lat !== undefined && lon !== undefined && (
          <p className="text-xs text-slate-500">
            {lat.toFixed(5)}, {lon.toFixed(5)}
          </p>
        )}
        <p className="mt-1 flex flex-wrap gap-3 text-xs">
          {map && (
            <a href={map} target="_blank" rel="noreferrer" className="font-medium text-brand-700 underline">
              Open map
            </a>
          )}
          {url && (
            <a href={url} target="_blank" rel="noreferrer noopener" className="text-brand-700 underline">
              {url}
            </a>
          )}
        </p>
      </div>
    </div>
  );
}

function ContactsContent({ c }: { c: Json }) {
  const cards = arr(c.contacts).map(obj);
  return (
    <ul className="space-y-2">
      {cards.map((card, i) => {
        const name = obj(card.name);
        const phones = arr(card.phones).map(obj);
        const emails = arr(card.emails).map(obj);
        const company = str(obj(card.org).company);
        return (
          // biome-ignore lint/suspicious/noArrayIndexKey: a contact card has no id; the list never reorders
          <li key={i} className="flex gap-2 rounded-md border border-slate-200 bg-white/70 px-3 py-2">
            <Icon name="user" className="mt-0.5 h-5 w-5 shrink-0 text-slate-500" />
            <div className="min-w-0">
              <p className="font-medium">
                {str(name.formatted_name) ??
                  ([str(name.first_name), str(name.last_name)].filter(Boolean).join(' ') || 'Contact')}
              </p>
              {company && <p className="text-xs text-slate-600">{company}</p>}
              {phones.map((p) => (
                <p key={`${str(p.phone)}-${str(p.wa_id)}`} className="text-xs text-slate-700">
                  {str(p.phone) ?? str(p.wa_id)}
                  {str(p.type) && <span className="text-slate-500"> · {str(p.type)?.toLowerCase()}</span>}
                </p>
              ))}
              {emails.map((e) => (
                <p key={str(e.email)} className="text-xs text-slate-700">
                  {str(e.email)}
                </p>
              ))}
            </div>
          </li>
        );
      })}
    </ul>
  );
}

/**
 * A template message as the customer saw it (the server renders it: `m.template`), or its name when
 * the template is no longer in the catalogue.
 */
function TemplateMessage({ m }: { m: Message }) {
  const name = str(obj(m.content.template).name);
  if (!m.template) return <Note>Template{name ? ` “${name}”` : ''}</Note>;
  return (
    <div data-testid="template-message">
      {name && <p className="mb-0.5 text-[11px] text-slate-500">Template “{name}”</p>}
      <TemplateText rendered={m.template} />
      <TemplateButtons
        buttons={m.template.buttons}
        className="-mx-3 mt-1.5 divide-y divide-black/10 border-t border-black/10"
        itemClassName=""
      />
    </div>
  );
}

function InteractiveContent({ c }: { c: Json }) {
  const i = obj(c.interactive);
  const kind = str(i.type);
  const reply = obj(i[kind ?? '']);
  if (kind === 'button_reply' || kind === 'list_reply') {
    return (
      <div>
        <p className="text-xs text-slate-500">
          {kind === 'button_reply' ? 'Tapped a button' : 'Chose from a list'}
        </p>
        <p className="font-medium">{str(reply.title) ?? str(reply.id) ?? '—'}</p>
        {str(reply.description) && <p className="text-xs text-slate-600">{str(reply.description)}</p>}
      </div>
    );
  }
  if (kind === 'nfm_reply') {
    return (
      <div>
        <p className="text-xs text-slate-500">
          Flow response{str(reply.name) ? ` (${str(reply.name)})` : ''}
        </p>
        <p>{str(reply.body) ?? 'Sent'}</p>
      </div>
    );
  }
  if (kind === 'request_contact_info') {
    // "Ask for phone number": WhatsApp shows the customer a button that shares their number.
    return (
      <div>
        <p className="text-xs text-slate-500">Asked for their phone number</p>
        <p>{str(obj(i.body).text) ?? ''}</p>
      </div>
    );
  }
  if (kind === 'call_permission_reply') {
    return <Note>Call permission: {str(reply.response) ?? 'answered'}</Note>;
  }
  return <Note icon="alert">Interactive reply{kind ? ` (${kind})` : ''} that cannot be shown</Note>;
}

/** The body of one message, by type. Unknown types say what they are instead of disappearing. */
export function MessageContent({ m, quoted }: { m: Message; quoted?: Message | undefined }) {
  const c = m.content;
  switch (m.type) {
    case 'text':
      return <Text>{str(obj(c.text).body) ?? ''}</Text>;
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker':
      return <MediaContent m={m} type={m.type} />;
    case 'location':
      return <LocationContent c={c} />;
    case 'contacts':
      return <ContactsContent c={c} />;
    case 'interactive':
      return <InteractiveContent c={c} />;
    case 'button':
      return (
        <div>
          <p className="text-xs text-slate-500">Tapped a button</p>
          <p className="font-medium">{str(obj(c.button).text) ?? str(obj(c.button).payload) ?? '—'}</p>
        </div>
      );
    case 'reaction': {
      const emoji = str(obj(c.reaction).emoji);
      const target = quoted ? `“${previewOf(quoted).slice(0, 60)}”` : 'a message';
      return emoji ? (
        <p>
          Reacted <span className="text-lg leading-none">{emoji}</span> to {target}
        </p>
      ) : (
        <Note>Removed a reaction from {target}</Note>
      );
    }
    case 'order': {
      const order = obj(c.order);
      const items = arr(order.product_items).map(obj);
      const count = items.reduce((s, it) => s + (num(it.quantity) ?? 1), 0);
      return (
        <div>
          <p className="font-medium">
            Order · {count} item{count === 1 ? '' : 's'}
          </p>
          {str(order.text) && <Text>{str(order.text)!}</Text>}
        </div>
      );
    }
    case 'system':
      return <Note>{str(obj(c.system).body) ?? 'System message'}</Note>;
    case 'request_welcome':
      return <Note>The customer opened the chat for the first time</Note>;
    case 'revoke':
      return <Note>The customer deleted a message</Note>;
    case 'unsupported': {
      const err = obj(arr(c.errors)[0]);
      const what = str(obj(c.unsupported).type);
      return (
        <Note icon="alert">
          Unsupported message{what ? ` (${what})` : ''}
          {str(err.title) ? `: ${str(err.title)}` : ''} — open WhatsApp on the phone to see it
        </Note>
      );
    }
    case 'template':
      return <TemplateMessage m={m} />;
    default:
      return <Note icon="alert">Message of type “{m.type}” that cannot be shown here</Note>;
  }
}
