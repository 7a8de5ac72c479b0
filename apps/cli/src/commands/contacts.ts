import { createWriteStream, openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { type ContactImport, type ImportMapping, ImportOptions } from '@openwaba/contracts';
import { z } from 'zod';
import { type RemoteDefaults, type RemoteOptions, withRemote } from '../api.ts';
import { parseFlags } from '../flags.ts';
import { CliError, type Io } from '../output.ts';
import { processTty, type Tty } from '../prompt.ts';

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
  optInProof: z.string().trim().min(1).max(2000).optional(),
  addTags: z.string().optional(),
  dryRun: z.boolean().optional(),
  json: z.boolean().optional(),
});

export interface ImportCliOptions extends RemoteOptions {
  map?: string;
  onDuplicate?: string;
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

/** How often a running import is asked for its progress. */
const POLL_MS = 200;

/** A server's download as a node stream. */
const fromWeb = (stream: ReadableStream<Uint8Array>) => Readable.fromWeb(stream as NodeReadableStream);

/**
 * `openwaba contacts import FILE --map phone=Mobile,… --on-duplicate update|skip`: the dashboard's
 * import, through the running server: the same checks, the same all-or-nothing job, followed here
 * until it ends. `--dry-run` previews.
 */
export async function runContactsImport(
  config: RemoteDefaults,
  io: Io,
  file: string | undefined,
  opts: ImportCliOptions,
  stderr: NodeJS.WriteStream | undefined = process.stderr,
  tty: Tty = processTty(),
) {
  const flags = parseFlags(
    ImportFlags,
    {
      file,
      map: opts.map,
      onDuplicate: opts.onDuplicate,
      optInProof: opts.optInProof,
      addTags: opts.addTags,
      dryRun: opts.dryRun,
      json: opts.json,
    },
    ['file'],
  );
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
  // openAsBlob throws at once for a missing file: inside then() that is a rejection like the rest.
  const blob = await Promise.resolve(flags.file)
    .then(openAsBlob)
    .catch(() => {
      throw new CliError(`Cannot read ${flags.file}`, 2);
    });
  const rejectsFile = `${flags.file}.rejects.csv`;
  const result = await withRemote(config, opts, tty, async ({ api }) => {
    const imports = api.contacts.imports;
    const upload = await imports.upload(blob, basename(flags.file));
    if (flags.dryRun)
      return { dryRun: true as const, upload, preview: await imports.preview(upload.id, options) };
    await imports.confirm(upload.id, options);
    // A job on the server imports the rows; its progress is followed here.
    const bar = flags.json ? undefined : progressPrinter(stderr, io);
    let done: ContactImport;
    for (;;) {
      done = await imports.get(upload.id);
      if (done.state === 'completed' || done.state === 'failed') break;
      bar?.update(done.processed, done.total_rows);
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    if (done.state === 'completed') bar?.update(done.total_rows, done.total_rows);
    bar?.end();
    let wroteRejects = false;
    if (done.has_rejects) {
      await pipeline(fromWeb(await imports.rejectsCsv(upload.id)), createWriteStream(rejectsFile));
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
});

/** Counts the lines of a CSV as its chunks pass (CRLF, as the server writes them); `line` gets each whole one. */
function csvLines(line?: (text: string) => void) {
  const decoder = new TextDecoder();
  let tail = '';
  let lines = 0;
  const split = (text: string) => {
    const parts = (tail + text).split('\r\n');
    tail = parts.pop()!;
    lines += parts.length;
    if (line) for (const part of parts) line(part);
  };
  return {
    push: (chunk: Uint8Array) => split(decoder.decode(chunk, { stream: true })),
    end: () => split(decoder.decode()),
    get lines() {
      return lines;
    },
  };
}

/** `openwaba contacts export [--out FILE]`: every contact as CSV (stdout without --out). */
export async function runContactsExport(
  config: RemoteDefaults,
  io: Io,
  opts: RemoteOptions & { out?: string },
  tty: Tty = processTty(),
) {
  const flags = parseFlags(ExportFlags, { out: opts.out });
  const rows = await withRemote(config, opts, tty, async ({ api }) => {
    const csv = fromWeb(await api.contacts.exportCsv());
    const counter = csvLines(flags.out ? undefined : (l) => io.out(l));
    if (flags.out) {
      // The file gets the bytes as they come; the counter only reads them.
      await pipeline(
        csv,
        async function* (source: AsyncIterable<Buffer>) {
          for await (const chunk of source) {
            counter.push(chunk);
            yield chunk;
          }
        },
        createWriteStream(flags.out),
      );
    } else for await (const chunk of csv) counter.push(chunk);
    counter.end();
    // The header is not a contact.
    return counter.lines - 1;
  });
  if (flags.out) io.err(`Exported ${rows} contacts to ${flags.out}`);
}
