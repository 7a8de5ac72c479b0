import type { FlowRunDetail } from '@openwaba/contracts';
import { useMutation } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { api, errorMessage } from '../../api.ts';
import { Alert, Badge, Button, cx, Input, Select } from '../../components/ui.tsx';
import { readContent } from './transcript.ts';

const STATUS_TONE = {
  active: 'sky',
  waiting: 'sky',
  completed: 'green',
  stopped: 'slate',
  failed: 'red',
} as const;

/**
 * Runs the flow's draft against a test chat: the bot's messages (buttons and list rows are choices to
 * click), a box for the tester's replies. Nothing is sent to WhatsApp; each answer reports the path.
 */
export function TestPanel({
  flowId,
  published,
  prepare,
  onRun,
}: {
  flowId: string;
  /** A published version exists: it can be tested instead of the draft. */
  published: boolean;
  /** Saves unsaved changes first: the test runs the saved draft. */
  prepare: () => Promise<void>;
  onRun: (run: FlowRunDetail | null) => void;
}) {
  const [run, setRun] = useState<FlowRunDetail | null>(null);
  const [text, setText] = useState('');
  const [use, setUse] = useState<'draft' | 'published'>('draft');
  const show = (r: FlowRunDetail) => {
    setRun(r);
    onRun(r);
  };
  const start = useMutation({
    mutationFn: async () => {
      if (use === 'draft') await prepare();
      return api.automation.flows.test(flowId, { use });
    },
    onSuccess: show,
  });
  const reply = useMutation({
    mutationFn: (b: { text?: string; reply_id?: string }) => {
      if (!run) throw new Error('Start a test first');
      return api.automation.runs.testReply(run.id, b);
    },
    onSuccess: (r) => {
      setText('');
      show(r);
    },
  });
  // The titles of the choices offered so far, to name a reply sent by id.
  const titles = new Map<string, string>();
  for (const m of run?.transcript ?? []) {
    if (m.from !== 'bot') continue;
    const s = readContent(m.content);
    for (const c of [...s.buttons, ...(s.list?.rows ?? [])]) titles.set(c.id, c.title);
  }
  const waiting = run !== null && (run.status === 'waiting' || run.status === 'active');
  const send = (e: FormEvent) => {
    e.preventDefault();
    if (text.trim()) reply.mutate({ text });
  };
  const busy = reply.isPending && 'Sending…';
  return (
    <section aria-label="Test chat" className="space-y-3">
      <div className="flex flex-wrap items-center gap-2">
        {published && (
          <>
            <label htmlFor="test-use" className="sr-only">
              Version to test
            </label>
            <Select
              id="test-use"
              className="w-40"
              value={use}
              onChange={(e) => setUse(e.target.value as typeof use)}
            >
              <option value="draft">The draft</option>
              <option value="published">The published version</option>
            </Select>
          </>
        )}
        <Button onClick={() => start.mutate()} disabledReason={start.isPending && 'Starting…'}>
          {run ? 'Restart test' : 'Start test'}
        </Button>
        {run && (
          <Button
            variant="ghost"
            onClick={() => {
              setRun(null);
              onRun(null);
            }}
          >
            Clear
          </Button>
        )}
        {run && (
          <Badge tone={STATUS_TONE[run.status]}>
            <span data-testid="test-run-status">{run.status}</span>
          </Badge>
        )}
      </div>
      {start.error && <Alert>{errorMessage(start.error)}</Alert>}
      {!run && !start.isPending && (
        <p className="text-sm text-slate-500">
          Runs the flow (the draft, saved first) as if a customer started it; nothing is sent or changed. The
          path taken is outlined in green on the canvas.
        </p>
      )}
      {run && (
        <>
          <ol
            aria-label="Test transcript"
            className="max-h-96 space-y-2 overflow-y-auto rounded-lg bg-[#efeae2] p-3"
          >
            {run.transcript.map((m, i) => {
              const s = readContent(m.content, titles);
              const bot = m.from === 'bot';
              return (
                <li
                  // biome-ignore lint/suspicious/noArrayIndexKey: the transcript only grows
                  key={i}
                  data-from={m.from}
                  className={cx(
                    'max-w-[85%] whitespace-pre-wrap break-words rounded-lg px-3 py-2 text-sm shadow-sm',
                    bot ? 'bg-white text-slate-900' : 'ml-auto bg-[#d9fdd3] text-slate-900',
                  )}
                >
                  {s.template && <p className="text-xs font-medium text-slate-500">Template {s.template}</p>}
                  {s.header && <p className="font-semibold">{s.header}</p>}
                  {s.text && <p>{s.text}</p>}
                  {s.params.length > 0 && (
                    <p className="text-xs text-slate-600">{`Parameters: ${s.params.join(' · ')}`}</p>
                  )}
                  {s.footer && <p className="text-xs text-slate-500">{s.footer}</p>}
                  {bot && s.buttons.length > 0 && (
                    <div className="mt-2 flex flex-col gap-1">
                      {s.buttons.map((b) => (
                        <Button
                          key={b.id}
                          variant="secondary"
                          className="py-1 text-brand-700"
                          disabledReason={(!waiting && 'The run is not waiting for a reply') || busy}
                          onClick={() => reply.mutate({ reply_id: b.id })}
                        >
                          {b.title}
                        </Button>
                      ))}
                    </div>
                  )}
                  {bot && s.list && (
                    <fieldset className="mt-2 space-y-1">
                      <legend className="text-xs font-medium text-slate-500">{s.list.button}</legend>
                      {s.list.rows.map((r) => (
                        <Button
                          key={r.id}
                          variant="secondary"
                          className="w-full justify-start py-1"
                          disabledReason={(!waiting && 'The run is not waiting for a reply') || busy}
                          onClick={() => reply.mutate({ reply_id: r.id })}
                        >
                          {r.title}
                          {r.description && <span className="text-xs text-slate-500">{r.description}</span>}
                        </Button>
                      ))}
                    </fieldset>
                  )}
                </li>
              );
            })}
            {run.transcript.length === 0 && <li className="text-sm text-slate-500">No message yet.</li>}
          </ol>
          {!waiting && (
            <p className="text-sm text-slate-600" role="status">
              {`The run ${run.status}${run.end_reason ? `: ${run.end_reason}` : ''}.`}
            </p>
          )}
          <form aria-label="Reply as the customer" onSubmit={send} className="flex items-end gap-2">
            <div className="flex-1">
              <label htmlFor="test-reply" className="sr-only">
                Test reply
              </label>
              <Input
                id="test-reply"
                value={text}
                placeholder="Reply as the customer…"
                onChange={(e) => setText(e.target.value)}
              />
            </div>
            <Button
              type="submit"
              disabledReason={
                (!waiting && 'The run is not waiting for a reply') || busy || (!text.trim() && 'Type a reply')
              }
            >
              Send reply
            </Button>
          </form>
          {reply.error && <Alert>{errorMessage(reply.error)}</Alert>}
        </>
      )}
    </section>
  );
}
