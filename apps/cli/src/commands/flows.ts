import { readFile, writeFile } from 'node:fs/promises';
import { FlowExport } from '@openwaba/contracts';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { CliError, formatTable, type Io } from '../output.ts';
import { processTty, type Tty } from '../prompt.ts';

export const ExportFlowFlags = z.object({
  id: z.uuid('give the flow id: openwaba flows export <id> (see `openwaba flows list`)'),
  out: z.string().min(1).optional(),
});
export const ImportFlowFlags = z.object({
  file: z.string().min(1, 'give the JSON file: openwaba flows import <file.json>'),
  json: z.boolean().optional(),
});

/** `openwaba flows list`: the organisation's flows with their published version and active runs. */
export async function runFlowsList(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { json?: boolean },
  tty: Tty = processTty(),
) {
  const { data } = await withRemote(config, opts, tty, ({ api }) => api.automation.flows.list());
  if (opts.json) return io.out(JSON.stringify(data));
  if (data.length === 0)
    return io.out('No flows. Build one on the Automation page or `openwaba flows import <file>`.');
  io.out(
    formatTable(
      ['ID', 'NAME', 'TRIGGER', 'VERSION', 'ENABLED', 'ACTIVE RUNS'],
      data.map((f) => [
        f.id,
        f.name,
        f.trigger ?? '',
        f.published_version === null
          ? 'draft'
          : `v${f.published_version}${f.draft_changed ? ' (draft changed)' : ''}`,
        f.enabled ? 'yes' : 'no',
        String(f.active_runs),
      ]),
    ),
  );
}

/** `openwaba flows export <id> [--out file]`: the flow's draft as portable JSON (stdout by default). */
export async function runFlowsExport(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { id?: string; out?: string },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ExportFlowFlags, { id: opts.id, out: opts.out }, ['id']);
  const json = await withRemote(config, opts, tty, ({ api }) => api.automation.flows.export(flags.id));
  const text = `${JSON.stringify(json, null, 2)}\n`;
  if (!flags.out) return io.out(text.trimEnd());
  await writeFile(flags.out, text).catch((err: Error) => {
    throw new CliError(`Cannot write ${flags.out}: ${err.message}`, 2);
  });
  io.err(`Wrote "${json.name}" to ${flags.out}`);
}

/**
 * `openwaba flows import <file>`: a new flow (a draft) from exported JSON. The file is checked here
 * first (JSON, the export's shape, each problem with its path); the server checks the graph again
 * and saves nothing when it does not validate.
 */
export async function runFlowsImport(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { file?: string; json?: boolean },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ImportFlowFlags, { file: opts.file, json: opts.json }, ['file']);
  const text = await readFile(flags.file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CliError(
      `Cannot read ${flags.file}: ${err.code === 'ENOENT' ? 'no such file' : err.message}`,
      2,
    );
  });
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new CliError(`${flags.file} is not JSON: ${(err as Error).message}`, 2);
  }
  const parsed = FlowExport.safeParse(body);
  if (!parsed.success) {
    for (const i of parsed.error.issues)
      io.err(`${flags.file}: ${i.path.join('.') || '(top)'}: ${i.message}`);
    throw new CliError(`${flags.file} is not a flow export (openwaba flows export); nothing was imported`, 2);
  }
  const flow = await withRemote(config, opts, tty, ({ api }) => api.automation.flows.import(body));
  if (opts.json) return io.out(JSON.stringify(flow));
  const warnings = flow.problems.filter((p) => p.severity === 'warning').length;
  io.out(
    `Imported "${flow.name}" as a draft: ${flow.id}${warnings ? ` (${warnings} warning(s))` : ''}. Publish it on the Automation page.`,
  );
}
