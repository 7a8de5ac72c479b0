import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { type ImportMapping, ImportOptions } from '@openwaba/contracts';
import type { Config } from '@openwaba/server';
import { z } from 'zod';
import { parseFlags } from '../flags.ts';
import { actingContext, resolveOrg } from '../orgs.ts';
import { CliError, type Io } from '../output.ts';
import { withServices } from '../services.ts';

const OrgRef = z.string().trim().min(1, 'must be an organisation id or name');

/** `phone=Mobile,name=First,last_name=Last,tags=Labels,field.city=City` → the API's mapping. */
export function parseMap(text: string): ImportMapping {
  const mapping: Record<string, unknown> = {};
  const fields: Record<string, string> = {};
  for (const part of text.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new CliError(`--map: "${part}" is not target=Column`, 2);
    const target = part.slice(0, eq).trim();
    const column = part.slice(eq + 1).trim();
    if (target.startsWith('field.')) fields[target.slice(6)] = column;
    else if (['phone', 'name', 'last_name', 'tags'].includes(target)) mapping[target] = column;
    else throw new CliError(`--map: "${target}" is not phone, name, last_name, tags or field.<key>`, 2);
  }
  if (Object.keys(fields).length) mapping.fields = fields;
  return mapping as ImportMapping;
}

export const ImportFlags = z.object({
  file: z.string().min(1, 'is required'),
  map: z.string().min(1, 'is required: e.g. phone=Mobile,name=Name,tags=Labels,field.city=City'),
  onDuplicate: z.enum(['update', 'skip'], 'must be update or skip').default('update'),
  org: OrgRef.optional(),
  optInProof: z.string().trim().min(1).max(2000).optional(),
  addTags: z.string().optional(),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});

export interface ImportCliOptions {
  map?: string;
  onDuplicate?: string;
  org?: string;
  optInProof?: string;
  addTags?: string;
  dryRun?: boolean;
  json?: boolean;
}

/** A progress bar on a terminal, a line every 10% otherwise. */
function progressPrinter(err: NodeJS.WriteStream | undefined, io: Io) {
  let lastDecile = -1;
  return {
    update(done: number, total: number) {
      const ratio = total > 0 ? Math.min(1, done / total) : 0;
      if (err?.isTTY) {
        const width = 30;
        const filled = Math.round(ratio * width);
        err.write(
          `\r[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(ratio * 100)).padStart(3)}%  ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows`,
        );
        return;
      }
      const decile = Math.floor(ratio * 10);
      if (decile > lastDecile) {
        lastDecile = decile;
        io.err(`imported ${done}/${total} rows`);
      }
    },
    end() {
      if (err?.isTTY) err.write('\n');
    },
  };
}

/**
 * `openwaba contacts import FILE --map phone=Mobile,… --on-duplicate update|skip`: the dashboard's
 * import, run here: the same checks, the same all-or-nothing transaction. `--dry-run` previews.
 */
export async function runContactsImport(
  config: Config,
  io: Io,
  file: string | undefined,
  opts: ImportCliOptions,
  stderr: NodeJS.WriteStream | undefined = process.stderr,
) {
  const flags = parseFlags(ImportFlags, { ...opts, file }, ['file']);
  const mapping = parseMap(flags.map);
  const parsed = ImportOptions.safeParse({
    mapping,
    on_duplicate: flags.onDuplicate,
    ...(flags.addTags
      ? {
          add_tags: flags.addTags
            .split(',')
            .map((t) => t.trim())
            .filter(Boolean),
        }
      : {}),
    ...(flags.optInProof ? { opt_in: { source: 'import', proof: flags.optInProof } } : {}),
  });
  if (!parsed.success) {
    throw new CliError(
      parsed.error.issues.map((i) => `--map ${i.path.join('.')}: ${i.message}`).join('\n'),
      2,
    );
  }
  const options = parsed.data;
  await stat(flags.file).catch(() => {
    throw new CliError(`Cannot read ${flags.file}`, 2);
  });
  const rejectsFile = `${flags.file}.rejects.csv`;
  const result = await withServices(config, async (services) => {
    const org = await resolveOrg(services, flags.org);
    const ctx = actingContext(org);
    const imports = services.contactImports;
    const upload = await imports.upload(ctx, {
      body: createReadStream(flags.file),
      filename: basename(flags.file),
    });
    if (flags.dryRun)
      return { dryRun: true as const, upload, preview: await imports.preview(ctx, upload.id, options) };
    await imports.confirm(ctx, upload.id, options, { schedule: false });
    const bar = flags.json ? undefined : progressPrinter(stderr, io);
    const done = await imports.run(ctx.orgId, upload.id, (n, total) => bar?.update(n, total));
    if (done.state === 'completed') bar?.update(done.total_rows, done.total_rows);
    bar?.end();
    let wroteRejects = false;
    if (done.has_rejects) {
      await pipeline(imports.rejectsCsv(ctx, upload.id), createWriteStream(rejectsFile));
      wroteRejects = true;
    }
    return { dryRun: false as const, done, rejects: wroteRejects ? rejectsFile : null };
  });

  if (result.dryRun) {
    if (flags.json) return io.out(JSON.stringify({ dry_run: true, ...result.preview }));
    const c = result.preview.counts;
    io.out(`Dry run of ${result.upload.filename} (${result.upload.format}): nothing was imported.`);
    io.out(
      `${c.total} rows: ${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.invalid} invalid, ${c.duplicates} duplicates.`,
    );
    for (const r of result.preview.rows.filter((r) => r.reason))
      io.out(`  row ${r.row_number}: ${r.phone}: ${r.reason}`);
    return;
  }
  const { done, rejects } = result;
  if (flags.json) return io.out(JSON.stringify({ ...done, rejects_file: rejects }));
  if (done.state !== 'completed') throw new CliError(done.error ?? 'The import failed; nothing was imported');
  const c = done.counts!;
  io.out(
    `Imported ${done.filename}: ${c.new} new, ${c.updated} updated, ${c.unchanged} unchanged, ${c.invalid} invalid, ${c.duplicates} duplicates (${c.total} rows).`,
  );
  if (rejects) io.out(`Rows left out, with the reason, are in ${rejects}`);
}

export const ExportFlags = z.object({
  out: z.string().min(1).optional(),
  org: OrgRef.optional(),
});

/** `openwaba contacts export [--out FILE]`: every contact as CSV (stdout without --out). */
export async function runContactsExport(config: Config, io: Io, opts: { out?: string; org?: string }) {
  const flags = parseFlags(ExportFlags, opts);
  const rows = await withServices(config, async (services) => {
    const org = await resolveOrg(services, flags.org);
    const lines = await services.contactExport.csv({ orgId: org.id }, {});
    let n = -1;
    const sink = flags.out
      ? createWriteStream(flags.out)
      : new Writable({
          write(chunk: Buffer, _enc, done) {
            for (const line of chunk.toString().split('\r\n').slice(0, -1)) io.out(line);
            done();
          },
        });
    await pipeline(
      (async function* () {
        for await (const chunk of lines) {
          n += chunk.split('\r\n').length - 1;
          yield chunk;
        }
      })(),
      sink,
    );
    return n;
  });
  if (flags.out) io.err(`Exported ${rows} contacts to ${flags.out}`);
}
