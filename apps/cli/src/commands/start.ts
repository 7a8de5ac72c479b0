import { type Config, startServer } from '@openwaba/server';
import type { Io } from '../output.ts';

export async function runStart(config: Config, io: Io) {
  const running = await startServer(config, io.out);
  let signals = 0;
  const shutdown = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    io.err(`${signal} received: finishing in-flight requests, then exiting`);
    running.stop().then(
      () => process.exit(0),
      (err) => {
        io.err(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
