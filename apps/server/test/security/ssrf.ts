import { type Drillground, signInAs } from './seed.ts';

/**
 * SSRF corpus: links to private, loopback, link-local, IPv4-mapped IPv6 and oddly written hosts, put
 * in every place the API takes a media link — replies (media and a template's media header), template
 * authoring (the header example), campaigns (a fixed header link, a per-recipient variable, an audience
 * file column) — and the AI provider's base URL, which the server connects to itself. Each must be refused; a public link (the control) must be accepted everywhere, or the
 * drill proves nothing. Accepted means: answered 2xx (a campaign: its recipient is not invalid).
 * The server never fetches these links itself (Meta does), so redirects cannot be judged here.
 */
export const SSRF_CORPUS = [
  'http://127.0.0.1/a.jpg',
  'http://localhost/a.jpg',
  'http://LOCALHOST./a.jpg',
  'http://[::1]/a.jpg',
  'http://0.0.0.0/a.jpg',
  'http://10.0.0.5/a.jpg',
  'http://172.16.3.4/a.jpg',
  'http://192.168.1.10/a.jpg',
  'http://100.64.0.1/a.jpg',
  'http://169.254.169.254/latest/meta-data/iam/security-credentials/',
  'http://[fd00::1]/a.jpg',
  'http://[fe80::1]/a.jpg',
  'http://[::ffff:127.0.0.1]/a.jpg',
  'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
  'http://2130706433/a.jpg',
  'http://0177.0.0.1/a.jpg',
  'http://0x7f.0.0.1/a.jpg',
  'http://127.1/a.jpg',
  'http://017700000001/a.jpg',
  'http://2852039166/latest/meta-data/',
  'https://user:pass@127.0.0.1:8443/a.jpg',
  'http://example.com@169.254.169.254/latest/meta-data/',
  'http://metadata.google.internal/computeMetadata/v1/',
  'http://localhost:5432/',
];
export const SSRF_CONTROL = 'https://cdn.example.com/photos/a.jpg';

export interface SsrfResult {
  tried: number;
  accepted: { surface: string; url: string; status: number }[];
  /** Surfaces that refused the public control link (the drill cannot judge them). */
  controlRefused: { surface: string; status: number; answer: string }[];
  surfaces: string[];
}

export async function runSsrf(g: Drillground, corpus = SSRF_CORPUS): Promise<SsrfResult> {
  const { b } = g;
  const client = await signInAs(g, b, '10.67.0.1');
  const conv = b.ids.conversations![0]!;
  const numberId = b.ids.numbers![0]!;
  const mediaTemplate = b.ids.templates![1]!;
  const result: SsrfResult = { tried: 0, accepted: [], controlRefused: [], surfaces: [] };
  let n = 0;
  const phone = () => `+1202555${7400 + (n++ % 100)}`;

  /** One surface: `send(url)` answers the status and whether the link was taken. */
  const surface = async (
    name: string,
    send: (url: string) => Promise<{ status: number; ok: boolean; answer: string }>,
  ) => {
    result.surfaces.push(name);
    const control = await send(SSRF_CONTROL);
    if (!control.ok)
      result.controlRefused.push({
        surface: name,
        status: control.status,
        answer: control.answer.slice(0, 300),
      });
    for (const url of corpus) {
      result.tried++;
      const r = await send(url);
      if (r.ok) result.accepted.push({ surface: name, url, status: r.status });
    }
  };
  const answered = (res: { statusCode: number; body: string }) => ({
    status: res.statusCode,
    ok: res.statusCode < 300,
    answer: res.body,
  });

  for (const type of ['image', 'document', 'video', 'audio', 'sticker'] as const)
    await surface(`reply ${type} link`, async (url) =>
      answered(
        await client.post(`/api/v1/conversations/${conv}/reply`, {
          content: { type, [type]: { link: url } },
        }),
      ),
    );
  await surface('reply template media header', async (url) =>
    answered(
      await client.post(`/api/v1/conversations/${conv}/reply`, {
        content: {
          type: 'template',
          template: {
            name: 'new_arrivals',
            language: { code: 'en_US' },
            components: [
              { type: 'header', parameters: [{ type: 'image', image: { link: url } }] },
              { type: 'body', parameters: [{ type: 'text', text: 'teapots' }] },
            ],
          },
        },
      }),
    ),
  );
  await surface('template authoring header example', async (url) =>
    answered(
      await client.post('/api/v1/templates', {
        number_id: numberId,
        name: `ssrf_probe_${n++}`,
        language: 'en_US',
        category: 'UTILITY',
        header: { format: 'IMAGE', example_handle: url },
        body: { text: 'Your parcel {{1}} is here.', examples: ['P-1'] },
      }),
    ),
  );

  /** A campaign's recipients: accepted when the recipient is not invalid. */
  const campaignAccepts = async (res: Awaited<ReturnType<typeof client.post>>) => {
    if (res.statusCode >= 300) return answered(res);
    const id = res.json().id as string;
    const page = (await client.get(`/api/v1/campaigns/${id}/recipients`)).json() as {
      data: { state: string; reason: string | null }[];
    };
    await client.delete(`/api/v1/campaigns/${id}`);
    return {
      status: res.statusCode,
      ok: page.data.some((r) => r.state !== 'invalid'),
      answer: JSON.stringify(page.data.map((r) => [r.state, r.reason])),
    };
  };
  await surface('campaign fixed header link', async (url) =>
    campaignAccepts(
      await client.post('/api/v1/campaigns', {
        name: `ssrf fixed ${n++}`,
        number_id: numberId,
        audience: { kind: 'recipients', recipients: [{ phone: phone() }] },
        templates: [
          {
            template_id: mediaTemplate,
            mapping: { 'header.image': { fixed: url }, 'body.1': { fixed: 'teapots' } },
          },
        ],
      }),
    ),
  );
  await surface('campaign recipient variable link', async (url) =>
    campaignAccepts(
      await client.post('/api/v1/campaigns', {
        name: `ssrf variable ${n++}`,
        number_id: numberId,
        audience: { kind: 'recipients', recipients: [{ phone: phone(), variables: { Media: url } }] },
        templates: [
          {
            template_id: mediaTemplate,
            mapping: { 'header.image': { column: 'Media' }, 'body.1': { fixed: 'teapots' } },
          },
        ],
      }),
    ),
  );
  await surface('campaign audience file link column', async (url) => {
    const csv = `Phone,{{Media}}\n${phone()},${url}\n`;
    const up = await client.request('POST', '/api/v1/campaigns/audience-files?filename=ssrf.csv', csv, {
      'content-type': 'text/csv',
    });
    if (up.statusCode >= 300) return answered(up);
    return campaignAccepts(
      await client.post('/api/v1/campaigns', {
        name: `ssrf file ${n++}`,
        number_id: numberId,
        audience: { kind: 'file', file_id: up.json().id, phone_column: 'Phone' },
        templates: [
          {
            template_id: mediaTemplate,
            mapping: { 'header.image': { column: '{{Media}}' }, 'body.1': { fixed: 'teapots' } },
          },
        ],
      }),
    );
  });
  // Outbound webhook endpoints: the server posts every event to them. A name that does not resolve
  // is refused there (the server itself connects), and the drill has no DNS: the control link is
  // given as a public address instead.
  await surface('webhook endpoint URL', async (url) =>
    answered(
      await client.post('/api/v1/webhooks/endpoints', {
        url: url === SSRF_CONTROL ? 'https://93.184.216.34/photos/a.jpg' : url,
        event_types: ['message.received'],
      }),
    ),
  );
  // The AI provider's base URL: the server connects to it itself.
  await surface('AI provider base URL', async (url) =>
    answered(
      await client.request('PATCH', '/api/v1/ai/settings', {
        provider: 'openai_compatible',
        model: 'probe',
        base_url: url,
      }),
    ),
  );
  return result;
}
