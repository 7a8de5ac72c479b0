import { useMemo, useState } from 'react';
import { Alert, BackLink, PageHeader } from '../../components/ui.tsx';
import { Stepper } from '../../components/wizard.tsx';
import { AudienceStep } from './new-campaign/audience-step.tsx';
import { BasicsStep } from './new-campaign/basics-step.tsx';
import { type Audience, type Choice, createBody, parsePasted, type Split } from './new-campaign/draft.ts';
import { ReviewStep } from './new-campaign/review-step.tsx';
import { TemplatesStep } from './new-campaign/templates-step.tsx';
import { n, useCampaignRights } from './queries.ts';

const STEPS = ['Name and number', 'Audience', 'Templates', 'Review and start'] as const;

/**
 * The campaign wizard: one decision per step (new-campaign/*-step.tsx). It holds the choices; the
 * review step creates the draft from them, and the draft is started or scheduled there.
 */
export function NewCampaignPage() {
  const { canManage } = useCampaignRights();
  const [step, setStep] = useState(0);
  const [name, setName] = useState('');
  const [numberId, setNumberId] = useState('');
  const [audience, setAudience] = useState<Audience>({
    kind: 'contacts',
    tagIds: [],
    tagMatch: 'any',
    segmentId: '',
  });
  const [choices, setChoices] = useState<Choice[]>([]);
  const [split, setSplit] = useState<Split>('sequential');
  const [spendCap, setSpendCap] = useState('');
  const [ttlHours, setTtlHours] = useState('');
  const pasted = useMemo(
    () => (audience.kind === 'paste' ? parsePasted(audience.text) : { recipients: [], columns: 0 }),
    [audience],
  );

  return (
    <div className="max-w-5xl">
      <BackLink to="/campaigns" className="mb-2">
        Campaigns
      </BackLink>
      <PageHeader title="New campaign" />
      {!canManage ? (
        <Alert>Creating campaigns needs the manager role or above. Ask an admin of your organisation.</Alert>
      ) : (
        <>
          <Stepper steps={STEPS} step={step} label="Campaign steps" />
          {step === 0 && (
            <BasicsStep
              name={name}
              numberId={numberId}
              spendCap={spendCap}
              onSpendCap={setSpendCap}
              ttlHours={ttlHours}
              onTtlHours={setTtlHours}
              onChange={(nm, id) => {
                setName(nm);
                if (id !== numberId) setChoices([]);
                setNumberId(id);
              }}
              onNext={() => setStep(1)}
            />
          )}
          {step === 1 && (
            <AudienceStep
              audience={audience}
              pasted={pasted}
              onChange={setAudience}
              onBack={() => setStep(0)}
              onNext={() => setStep(2)}
            />
          )}
          {step === 2 && (
            <TemplatesStep
              numberId={numberId}
              audience={audience}
              pasted={pasted}
              choices={choices}
              split={split}
              onChange={(c, s) => {
                setChoices(c);
                setSplit(s);
              }}
              onBack={() => setStep(1)}
              onNext={() => setStep(3)}
            />
          )}
          {step === 3 && (
            <ReviewStep
              body={createBody({ name, numberId, audience, pasted, choices, split, spendCap, ttlHours })}
              fileSummary={
                audience.kind === 'file' && audience.upload
                  ? `${n(audience.upload.total_rows)} rows of ${audience.upload.filename}`
                  : undefined
              }
              onBack={() => setStep(2)}
              onDiscarded={() => {
                // A file is read into the draft and deleted: editing starts from a new upload.
                if (audience.kind === 'file') {
                  setAudience({ kind: 'file', upload: null, phoneColumn: '' });
                  setStep(1);
                } else setStep(2);
              }}
            />
          )}
        </>
      )}
    </div>
  );
}
