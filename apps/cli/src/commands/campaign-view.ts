/** How the campaign verbs print a campaign: its state and counts, and the live progress of --watch. */
import type { Campaign } from '@openwaba/contracts';
import type { Io } from '../output.ts';

/** Recipients that are finished with: sent, failed or left out at the start (skipped). */
export const doneOf = (c: Campaign) => c.counts.sent + c.counts.failed + c.counts.skipped;
/** Invalid recipients were never going to be sent: they are not part of the progress. */
export const toSendOf = (c: Campaign) => c.counts.total - c.counts.invalid;
/** A count with thousands separators. */
export const n = (x: number) => x.toLocaleString('en-US');

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

function countsLine(c: Campaign) {
  const k = c.counts;
  return (
    `${n(k.total)} recipients: ${n(k.sent)} sent, ${n(k.failed)} failed, ${n(k.skipped)} skipped, ` +
    `${n(k.queued)} queued, ${n(k.pending)} pending, ${n(k.invalid)} invalid` +
    (k.delivered || k.read || k.replied
      ? ` (${n(k.delivered)} delivered, ${n(k.read)} read, ${n(k.replied)} replied)`
      : '')
  );
}

function stateLine(c: Campaign) {
  const why = c.paused_reason ?? c.failure_reason;
  const when =
    c.state === 'scheduled' && c.scheduled_at
      ? ` for ${c.scheduled_at}`
      : c.finished_at && ['completed', 'stopped', 'failed'].includes(c.state)
        ? ` at ${c.finished_at}`
        : '';
  return `Campaign "${c.name}" (${c.id}) is ${c.state}${when}${why ? `: ${why}` : ''}`;
}

export function printCampaign(io: Io, c: Campaign) {
  io.out(stateLine(c));
  io.out(`  ${countsLine(c)}`);
  const p = c.preflight;
  if (p) {
    const skipped = Object.entries(p.skipped).map(([why, k]) => `${k} ${why}`);
    io.out(`  pre-flight: ${p.ready} ready${skipped.length ? `; left out: ${skipped.join(', ')}` : ''}`);
    for (const problem of p.problems) io.out(`  problem: ${problem}`);
  }
}

/**
 * Draws the live progress: a bar redrawn in place on a terminal, one line per change otherwise
 * (logs and CI keep every step, without a line every half second when nothing moved).
 */
export function progressView(io: Io, stream: Pick<NodeJS.WriteStream, 'write' | 'isTTY'> | undefined) {
  let lastLine = '';
  let first: { at: number; done: number } | undefined;
  return {
    update(c: Campaign, now = Date.now()) {
      const done = doneOf(c);
      const total = toSendOf(c);
      first ??= { at: now, done };
      // The server's rate is the number's current send rate; before it reports one, what we saw.
      const seen = now > first.at ? ((done - first.done) * 1000) / (now - first.at) : 0;
      const rate = c.rate ?? (seen > 0 ? seen : null);
      const left = Math.max(0, total - done);
      const eta = c.eta_seconds ?? (rate && rate > 0 ? left / rate : null);
      const ratio = total > 0 ? Math.min(1, done / total) : 1;
      const pct = `${String(Math.floor(ratio * 100)).padStart(3)}%`;
      const tail =
        `${n(done)}/${n(total)}` +
        (rate !== null && c.state === 'running' ? `  ${rate.toFixed(1)} msg/s` : '') +
        (eta !== null && c.state === 'running' && left > 0 ? `  ETA ${formatDuration(eta)}` : '') +
        `  ${c.state}`;
      if (stream?.isTTY) {
        const width = 30;
        const filled = Math.round(ratio * width);
        stream.write(`\r\x1b[2K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${pct}  ${tail}`);
        return;
      }
      const line = `${c.state} ${pct.trim()} ${n(done)}/${n(total)} (sent ${n(c.counts.sent)}, failed ${n(c.counts.failed)}, skipped ${n(c.counts.skipped)})${rate !== null && c.state === 'running' ? ` ${rate.toFixed(1)} msg/s` : ''}`;
      // Only a change is news: the rate alone moving is not.
      const key = `${c.state} ${done} ${c.counts.sent} ${c.counts.failed} ${c.counts.skipped}`;
      if (key !== lastLine) {
        lastLine = key;
        io.out(line);
      }
    },
    end() {
      if (stream?.isTTY) stream.write('\n');
    },
  };
}
