import {
  type RenderedTemplate,
  renderTemplate,
  type TemplateDef,
  type TemplateParams,
  templateVariables,
} from '@openwaba/contracts';
import { Fragment } from 'react';
import { Icon, type IconName } from '../../components/icons.tsx';

/** Values by variable: `header.1`, `body.1` / `body.name`, `buttons.0` (the mapping keys). */
export type PreviewValues = Record<string, string | undefined>;

const PLACEHOLDER = /(\{\{\s*[a-zA-Z0-9_]+\s*\}\})/;

/**
 * The bubble for whatever is filled in so far: the shared renderer does the work; a variable without
 * a value stays visible as `{{1}}`, so a half-filled form still shows the message taking shape.
 */
export function previewTemplate(def: TemplateDef, values: PreviewValues): RenderedTemplate | null {
  const params: {
    header?: NonNullable<TemplateParams['header']>;
    body: Record<string, string>;
    buttons: Record<string, string>;
  } = { body: {}, buttons: {} };
  const given = (k: string) => {
    const v = values[k]?.replace(/[\n\r\t]/g, ' ').replace(/ {5,}/g, '    ');
    return v?.trim() ? v : undefined;
  };
  for (const v of templateVariables(def)) {
    if (v.component === 'header') {
      if (v.kind === 'text') params.header = { text: given(`header.${v.key}`) ?? `{{${v.key}}}` };
      // Media and locations are shown as what they are; the link itself is not fetched.
      else if (v.kind === 'media') params.header = { media: { link: 'https://example.invalid/media' } };
      else if (v.kind === 'location') params.header = { location: { latitude: 0, longitude: 0 } };
    } else if (v.component === 'body') params.body[v.key] = given(`body.${v.key}`) ?? `{{${v.key}}}`;
    else if (v.kind === 'url_suffix') params.buttons[v.key] = given(`buttons.${v.key}`) ?? '{{1}}';
    else if (v.kind === 'coupon_code')
      params.buttons[v.key] = (given(`buttons.${v.key}`) ?? 'CODE').slice(0, 20);
  }
  try {
    const r = renderTemplate(def, params);
    return r.ok ? r.rendered : null;
  } catch {
    return null;
  }
}

/** Text with the still-unfilled `{{…}}` marked (a preview), never injected; as it is otherwise. */
function Marked({ text, marked = true }: { text: string; marked?: boolean | undefined }) {
  if (!marked) return <>{text}</>;
  // Keyed by where each part starts in the text: stable while the text stays the same.
  let at = 0;
  const parts = text.split(PLACEHOLDER).map((part) => {
    const key = at;
    at += part.length;
    return { key, part };
  });
  return (
    <>
      {parts.map(({ key, part }) =>
        PLACEHOLDER.test(part) ? (
          <mark key={key} className="rounded bg-amber-200/70 px-0.5 text-amber-900" title="No value yet">
            {part}
          </mark>
        ) : (
          <Fragment key={key}>{part}</Fragment>
        ),
      )}
    </>
  );
}

const BUTTON_ICON: Record<string, IconName> = {
  url: 'link',
  phone_number: 'phone',
  quick_reply: 'reply',
  copy_code: 'document',
};
const MEDIA_HEADER: Record<'image' | 'video' | 'document', string> = {
  image: 'Image',
  video: 'Video',
  document: 'Document',
};

/**
 * A template's header, body and footer. Media headers are shown as what they are (an icon and the
 * file name): the link itself is never fetched. `marked`: unfilled variables highlighted (previews).
 */
export function TemplateText({
  rendered,
  marked,
}: {
  rendered: RenderedTemplate;
  marked?: boolean | undefined;
}) {
  const header = rendered.header;
  return (
    <>
      {header?.type === 'text' && (
        <p className="mb-1 font-semibold">
          <Marked text={header.text} marked={marked} />
        </p>
      )}
      {header && header.type !== 'text' && (
        <div
          className="mb-2 flex h-28 items-center justify-center gap-2 rounded-md bg-slate-200 px-2 text-xs text-slate-600"
          data-testid="template-header-media"
        >
          <Icon name={header.type} className="h-6 w-6 shrink-0" />
          <span className="truncate">
            {header.type === 'location'
              ? (header.name ?? 'Location')
              : header.type === 'document' && header.filename
                ? header.filename
                : `${MEDIA_HEADER[header.type]} header`}
          </span>
        </div>
      )}
      <p className="whitespace-pre-wrap break-words [overflow-wrap:anywhere]">
        <Marked text={rendered.body} marked={marked} />
      </p>
      {rendered.footer && <p className="mt-1 text-xs text-slate-500">{rendered.footer}</p>}
    </>
  );
}

/** A template's buttons, one under the other as WhatsApp lists them; where each leads in its title. */
export function TemplateButtons({
  buttons,
  marked,
  className = 'mt-1 space-y-1',
  itemClassName = 'rounded-lg bg-white shadow-sm',
}: {
  buttons: RenderedTemplate['buttons'];
  marked?: boolean | undefined;
  className?: string;
  itemClassName?: string;
}) {
  if (!buttons.length) return null;
  return (
    <ul className={className} aria-label="Buttons">
      {buttons.map((b, i) => (
        <li
          // biome-ignore lint/suspicious/noArrayIndexKey: a button is its position in the template
          key={i}
          className={`flex items-center justify-center gap-1.5 px-3 py-2 text-sm font-medium text-sky-600 ${itemClassName}`}
          title={b.url ?? b.phone_number ?? (b.code ? `Copies ${b.code}` : undefined)}
        >
          <Icon name={BUTTON_ICON[b.type] ?? 'reply'} className="h-4 w-4 shrink-0" />
          <Marked text={b.text || '(no text)'} marked={marked} />
        </li>
      ))}
    </ul>
  );
}

/** The message as it arrives on the customer's phone: a business bubble on WhatsApp's wallpaper. */
export function TemplateBubble({
  rendered,
  label = 'Message preview',
}: {
  rendered: RenderedTemplate | null;
  label?: string;
}) {
  return (
    <figure aria-label={label} className="rounded-lg bg-[#efeae2] p-4" data-testid="template-bubble">
      {rendered ? (
        <div className="max-w-sm">
          <div className="rounded-lg rounded-tl-sm bg-white px-3 py-2 text-sm text-slate-900 shadow-sm">
            <TemplateText rendered={rendered} marked />
            <p className="mt-0.5 text-right text-[11px] text-slate-400">12:00</p>
          </div>
          <TemplateButtons buttons={rendered.buttons} marked />
        </div>
      ) : (
        <p className="text-sm text-slate-600">This template cannot be previewed.</p>
      )}
    </figure>
  );
}
