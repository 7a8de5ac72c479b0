import type { ImportOptionsInput } from '@openwaba/contracts';
import { useState } from 'react';
import { Button, Card, Field, Input } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { useTags } from '../queries.ts';
import { NextButton } from './next-button.tsx';

/** Step 3: what a known phone does, tags for everyone imported, and the consent they gave. */
export function OptionsStep({
  initial,
  onBack,
  onNext,
}: {
  initial: Omit<ImportOptionsInput, 'mapping'>;
  onBack: () => void;
  onNext: (o: Omit<ImportOptionsInput, 'mapping'>) => void;
}) {
  const tags = useTags();
  const [onDuplicate, setOnDuplicate] = useState(initial.on_duplicate ?? 'update');
  const [addTags, setAddTags] = useState((initial.add_tags ?? []).join(', '));
  const [optIn, setOptIn] = useState(initial.opt_in !== undefined);
  const [proof, setProof] = useState(initial.opt_in?.proof ?? '');
  const tagList = addTags
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  return (
    <Card title="How should the rows be imported?">
      <div className="space-y-6">
        <fieldset>
          <legend className="text-sm font-medium text-slate-700">A phone that is already a contact</legend>
          <div className="mt-2 space-y-2 text-sm">
            <label className="flex items-start gap-2">
              <input
                type="radio"
                name="on_duplicate"
                className="mt-1"
                checked={onDuplicate === 'update'}
                onChange={() => setOnDuplicate('update')}
              />
              <span>
                <strong>Update it</strong> — the file's name and field values replace the stored ones; tags
                are added.
              </span>
            </label>
            <label className="flex items-start gap-2">
              <input
                type="radio"
                name="on_duplicate"
                className="mt-1"
                checked={onDuplicate === 'skip'}
                onChange={() => setOnDuplicate('skip')}
              />
              <span>
                <strong>Skip it</strong> — existing contacts stay exactly as they are.
              </span>
            </label>
          </div>
        </fieldset>
        <Field
          label="Tags to add to every imported contact"
          hint="Separated by commas; missing tags are created. Handy to find this import later."
        >
          {(id) => (
            <>
              <Input
                id={id}
                list="import-known-tags"
                value={addTags}
                onChange={(e) => setAddTags(e.target.value)}
                placeholder="Spring fair 2026"
              />
              <datalist id="import-known-tags">
                {tags.data?.data.map((t) => (
                  <option key={t.id} value={t.name} />
                ))}
              </datalist>
            </>
          )}
        </Field>
        <fieldset className="space-y-2">
          <legend className="text-sm font-medium text-slate-700">Consent</legend>
          <label className="flex items-start gap-2 text-sm">
            <input
              type="checkbox"
              className="mt-1"
              checked={optIn}
              onChange={(e) => setOptIn(e.target.checked)}
            />
            <span>
              These people agreed to receive messages from us — record an opt-in (source: import) for each. An
              earlier opt-out is never overridden.
            </span>
          </label>
          {optIn && (
            <Field
              label="Proof of consent"
              hint="Where and how they agreed; kept in each contact's consent ledger."
            >
              {(id) => (
                <Input
                  id={id}
                  value={proof}
                  onChange={(e) => setProof(e.target.value)}
                  placeholder="Newsletter sign-up form at the spring fair, 12 April"
                />
              )}
            </Field>
          )}
        </fieldset>
      </div>
      <StepFooter>
        <Button variant="secondary" onClick={onBack}>
          Back
        </Button>
        <NextButton
          label="Next: preview"
          why={optIn && !proof.trim() ? 'Describe the proof of consent to go on.' : null}
          onClick={() =>
            onNext({
              on_duplicate: onDuplicate,
              ...(tagList.length ? { add_tags: tagList } : {}),
              ...(optIn ? { opt_in: { source: 'import', proof: proof.trim() } } : {}),
            })
          }
        />
      </StepFooter>
    </Card>
  );
}
