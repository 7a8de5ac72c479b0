import { writeFileSync } from 'node:fs';
import { it } from 'vitest';
import { createTestApp } from '../helpers.ts';
import { runReplay } from './replay.ts';
import { seedDrillground, startDrillSimulator } from './seed.ts';
it('probe', async () => {
  const sim = await startDrillSimulator();
  const t = await createTestApp({ META_GRAPH_URL: sim.url });
  const g = await seedDrillground(t, sim);
  const t0 = Date.now();
  const r = await runReplay(g);
  console.log('replay ms', Date.now() - t0);
  writeFileSync('/tmp/drill/replay.json', JSON.stringify(r, null, 1));
  await t.close(); await sim.close();
});
