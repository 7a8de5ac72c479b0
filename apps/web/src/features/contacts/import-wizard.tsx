import type { ImportMapping, ImportOptionsInput, ImportUpload } from '@openwaba/contracts';
import { useState } from 'react';
import { useParams } from 'react-router';
import { Alert, BackLink, PageHeader } from '../../components/ui.tsx';
import { Stepper } from '../../components/wizard.tsx';
import { MappingStep } from './import/mapping-step.tsx';
import { OptionsStep } from './import/options-step.tsx';
import { PreviewStep } from './import/preview-step.tsx';
import { ProgressStep } from './import/progress-step.tsx';
import { UploadStep } from './import/upload-step.tsx';
import { useContactRights } from './queries.ts';

const STEPS = ['Upload', 'Map columns', 'Options', 'Preview', 'Import'] as const;

/** The contact import wizard: one decision per step (import/*-step.tsx), a preview before anything is saved. */
export function ImportWizard() {
  const { canImport } = useContactRights();
  const [step, setStep] = useState(0);
  const [upload, setUpload] = useState<ImportUpload | null>(null);
  const [mapping, setMapping] = useState<ImportMapping | null>(null);
  const [options, setOptions] = useState<Omit<ImportOptionsInput, 'mapping'>>({ on_duplicate: 'update' });
  const [importId, setImportId] = useState<string | null>(null);
  const full = (): ImportOptionsInput => ({ ...options, mapping: mapping ?? { phone: '' } });

  return (
    <div className="max-w-5xl">
      <BackLink to="/contacts" className="mb-2">
        Contacts
      </BackLink>
      <PageHeader title="Import contacts" />
      {!canImport ? (
        <Alert>Importing contacts needs the manager role or above. Ask an admin of your organisation.</Alert>
      ) : (
        <>
          <Stepper steps={STEPS} step={step} label="Import steps" />
          {step === 0 && (
            <UploadStep
              upload={upload}
              onUploaded={(u) => {
                setUpload(u);
                setMapping(null);
              }}
              onNext={() => setStep(1)}
            />
          )}
          {step === 1 && upload && (
            <MappingStep
              upload={upload}
              initial={mapping}
              onBack={() => setStep(0)}
              onNext={(m) => {
                setMapping(m);
                setStep(2);
              }}
            />
          )}
          {step === 2 && (
            <OptionsStep
              initial={options}
              onBack={() => setStep(1)}
              onNext={(o) => {
                setOptions(o);
                setStep(3);
              }}
            />
          )}
          {step === 3 && upload && (
            <PreviewStep
              importId={upload.id}
              options={full()}
              onBack={() => setStep(2)}
              onConfirmed={(id) => {
                setImportId(id);
                setStep(4);
              }}
            />
          )}
          {step === 4 && importId && <ProgressStep importId={importId} />}
        </>
      )}
    </div>
  );
}

export function ImportStatusPage() {
  const { id = '' } = useParams();
  return (
    <div className="max-w-5xl">
      <BackLink to="/contacts" className="mb-2">
        Contacts
      </BackLink>
      <PageHeader title="Contact import" />
      <ProgressStep importId={id} />
    </div>
  );
}
