import { errorMessage } from '../../../api.ts';
import { Alert, Button, Card, Field, Input, Select } from '../../../components/ui.tsx';
import { StepFooter } from '../../../components/wizard.tsx';
import { useNumbers } from '../../numbers/use-numbers.ts';

/** Step 1: the campaign's name (for the team) and the number it is sent from. */
export function BasicsStep({
  name,
  numberId,
  spendCap,
  ttlHours,
  onChange,
  onSpendCap,
  onTtlHours,
  onNext,
}: {
  name: string;
  numberId: string;
  /** The campaign's spend cap as typed (empty: none). */
  spendCap: string;
  onChange: (name: string, numberId: string) => void;
  onSpendCap: (v: string) => void;
  /** Time-to-live of MARKETING templates through the Marketing Messages API, in hours as typed. */
  ttlHours: string;
  onTtlHours: (v: string) => void;
  onNext: () => void;
}) {
  const numbers = useNumbers();
  const list = numbers.data?.data ?? [];
  const chosen = numberId || (list.length === 1 ? (list[0]?.id ?? '') : '');
  const viaMarketingApi = list.find((x) => x.id === chosen)?.marketing_messages.enabled ?? false;
  return (
    <Card title="Name and number" description="The name is for your team; customers never see it.">
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Campaign name">
          {(id) => (
            <Input
              id={id}
              value={name}
              maxLength={200}
              placeholder="Spring sale 2026"
              onChange={(e) => onChange(e.target.value, chosen)}
            />
          )}
        </Field>
        <Field label="Send from" hint="The WhatsApp number the messages come from.">
          {(id) => (
            <Select id={id} value={chosen} onChange={(e) => onChange(name, e.target.value)}>
              <option value="">Choose a number…</option>
              {list.map((x) => (
                <option key={x.id} value={x.id} disabled={x.status !== 'active'}>
                  {x.display_name}
                  {x.is_sandbox ? ' (sandbox)' : ''}
                  {x.status !== 'active' ? ' — inactive' : ''}
                </option>
              ))}
            </Select>
          )}
        </Field>
        <Field
          label="Spend cap (optional)"
          hint="Most this campaign may spend, in the rate card's currency: it will not start if the estimate is over it, and pauses before crossing it."
        >
          {(id) => (
            <Input
              id={id}
              type="number"
              min={0}
              step="0.01"
              placeholder="No cap"
              value={spendCap}
              onChange={(e) => onSpendCap(e.target.value)}
            />
          )}
        </Field>
        {viaMarketingApi && (
          <Field
            label="Marketing time-to-live (optional, hours)"
            hint="This number sends MARKETING templates through Meta's Marketing Messages API: Meta stops trying to deliver one after this long (12 to 720 hours; empty: Meta's default)."
          >
            {(id) => (
              <Input
                id={id}
                type="number"
                min={12}
                max={720}
                step="1"
                placeholder="Meta's default"
                value={ttlHours}
                onChange={(e) => onTtlHours(e.target.value)}
              />
            )}
          </Field>
        )}
      </div>
      {numbers.error && (
        <div className="mt-3">
          <Alert>{errorMessage(numbers.error)}</Alert>
        </div>
      )}
      {numbers.isSuccess && list.length === 0 && (
        <div className="mt-3">
          <Alert kind="info">Connect a number under Settings → Numbers first.</Alert>
        </div>
      )}
      <StepFooter>
        <span />
        <Button
          disabledReason={
            !name.trim() ? 'Name the campaign first' : !chosen ? 'Choose an active number' : null
          }
          onClick={() => {
            onChange(name, chosen);
            onNext();
          }}
        >
          Next: audience
        </Button>
      </StepFooter>
    </Card>
  );
}
