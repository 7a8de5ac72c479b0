import {
  createSimulator,
  type NumberInput,
  type Simulator,
  type SimulatorOptions,
} from '@openwaba/simulator';
import type { TestClient } from '../helpers.ts';

/**
 * Starts a Cloud API simulator on a free port with `numbers` in it; pass its `url` as META_GRAPH_URL.
 *
 * @example
 * const sim = await startSimulator({ seed: 7 }, [NUM]);
 * const t = await createTestApp({ META_GRAPH_URL: sim.url });
 */
export async function startSimulator(options: SimulatorOptions = {}, numbers: NumberInput[] = []) {
  const sim: Simulator = await createSimulator(options);
  await sim.listen(0);
  for (const n of numbers) sim.addNumber(n);
  return sim;
}

/** The ids and token of a number as Meta knows it (a simulator number's fields). */
export type MetaNumber = Pick<NumberInput, 'phone_number_id' | 'waba_id' | 'access_token'>;

/**
 * Connects `number` to the client's organisation through the API (`POST /api/v1/numbers`), as a
 * person would in the dashboard; fails with the answer unless it is a 201. Returns our id of it.
 * The display name and verify token default to ones derived from the phone number id.
 *
 * @example
 * const numberId = await connectNumber(await t.owner(), NUM, { appSecret: SECRET });
 */
export async function connectNumber(
  client: TestClient,
  number: MetaNumber,
  opts: { appSecret: string; displayName?: string; verifyToken?: string },
): Promise<string> {
  const res = await client.post('/api/v1/numbers', {
    display_name: opts.displayName ?? `Sim ${number.phone_number_id}`,
    phone_number_id: number.phone_number_id,
    waba_id: number.waba_id,
    access_token: number.access_token,
    app_secret: opts.appSecret,
    verify_token: opts.verifyToken ?? `verify-${number.phone_number_id}`,
  });
  if (res.statusCode !== 201) {
    throw new Error(`connecting number ${number.phone_number_id} answered ${res.statusCode}: ${res.body}`);
  }
  return res.json().id as string;
}
