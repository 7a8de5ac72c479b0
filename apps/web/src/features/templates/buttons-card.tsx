import { textVariables } from '@openwaba/contracts';
import { useRef } from 'react';
import { Alert, Button, Card, Field, Input } from '../../components/ui.tsx';
import type { ButtonType, DraftButton } from './template-draft.ts';

const BUTTON_LABEL: Record<ButtonType, string> = {
  QUICK_REPLY: 'Quick reply',
  URL: 'Link',
  PHONE_NUMBER: 'Call a phone number',
};

/** A new template's buttons: quick replies, links and a phone number, each with its own fields. */
export function ButtonsCard({
  buttons,
  onChange,
  errors,
}: {
  buttons: DraftButton[];
  onChange: (buttons: DraftButton[]) => void;
  /** Validation messages by path, e.g. `buttons.0.url`. */
  errors: Record<string, string>;
}) {
  // Keys give each button its identity while others are added and removed.
  const nextKey = useRef(1);
  const set = (i: number, patch: Partial<DraftButton>) =>
    onChange(buttons.map((b, j) => (j === i ? { ...b, ...patch } : b)));
  const addButton = (type: ButtonType) => {
    onChange([
      ...buttons,
      {
        key: nextKey.current,
        type,
        text: '',
        url: type === 'URL' ? 'https://' : '',
        phone_number: '',
        example: '',
      },
    ]);
    nextKey.current += 1;
  };
  return (
    <Card
      title="Buttons (optional)"
      description="Up to 10: quick replies, at most 2 links and 1 phone number."
    >
      <div className="space-y-3">
        {errors.buttons && <Alert>{errors.buttons}</Alert>}
        {buttons.map((b, i) => (
          <fieldset key={b.key} className="rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium text-slate-700">
              Button {i + 1}: {BUTTON_LABEL[b.type]}
            </legend>
            <div className="grid gap-3 sm:grid-cols-2">
              <Field label="Button text" error={errors[`buttons.${i}.text`]}>
                {(id) => (
                  <Input
                    id={id}
                    value={b.text}
                    maxLength={25}
                    onChange={(e) => set(i, { text: e.target.value })}
                  />
                )}
              </Field>
              {b.type === 'URL' && (
                <Field
                  label="Link"
                  error={errors[`buttons.${i}.url`]}
                  hint="https only; end it with {{1}} for a per-customer link."
                >
                  {(id) => <Input id={id} value={b.url} onChange={(e) => set(i, { url: e.target.value })} />}
                </Field>
              )}
              {b.type === 'URL' && textVariables(b.url).length > 0 && (
                <Field label="Example for the link’s {{1}}" error={errors[`buttons.${i}.example`]}>
                  {(id) => (
                    <Input id={id} value={b.example} onChange={(e) => set(i, { example: e.target.value })} />
                  )}
                </Field>
              )}
              {b.type === 'PHONE_NUMBER' && (
                <Field
                  label="Phone number"
                  error={errors[`buttons.${i}.phone_number`]}
                  hint="With the country code, e.g. +15550783881."
                >
                  {(id) => (
                    <Input
                      id={id}
                      value={b.phone_number}
                      onChange={(e) => set(i, { phone_number: e.target.value })}
                    />
                  )}
                </Field>
              )}
            </div>
            <Button
              variant="ghost"
              className="mt-2"
              onClick={() => onChange(buttons.filter((_, j) => j !== i))}
            >
              Remove button {i + 1}
            </Button>
          </fieldset>
        ))}
        {buttons.length < 10 && (
          <div className="flex flex-wrap gap-2">
            <Button variant="secondary" onClick={() => addButton('QUICK_REPLY')}>
              + Quick reply
            </Button>
            <Button variant="secondary" onClick={() => addButton('URL')}>
              + Link
            </Button>
            <Button variant="secondary" onClick={() => addButton('PHONE_NUMBER')}>
              + Phone number
            </Button>
          </div>
        )}
      </div>
    </Card>
  );
}
