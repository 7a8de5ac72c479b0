// The receivers of `bench/webhooks-out`: in a process of their own, so their work is not counted
// in the bench's. Argument: a JSON list of kinds (`healthy`, `slow`, `failing`); each gets a port on
// 127.0.0.1. `PUT /secret` gives a receiver its endpoint's signing secret. Healthy ones verify every
// signature (the SDK's verifyWebhook), answer 204 and de-duplicate by `webhook-id`, keeping the
// first arrival time and the event's `data.contact_id`; the slow one answers after SLOW_MS; the
// failing one answers 500. Prints `ready <ports JSON>`; `GET /stats` on any port answers every
// receiver's counts (`?arrivals=1`: and arrivals), `POST /reset` forgets them.
import { createServer } from 'node:http';
import { verifyWebhook } from '@openwaba/sdk/webhooks';

const SLOW_MS = Number(process.env.SLOW_MS ?? 3000);
const specs = JSON.parse(process.argv[2]);
const receivers = specs.map((kind) => ({
  kind,
  secret: '',
  requests: 0,
  bad_signatures: 0,
  duplicates: 0,
  /** webhook-id → [webhook-id, arrival ms, the event's `data.contact_id`] */
  first: new Map(),
}));

function stats(full) {
  return receivers.map((r) => ({
    kind: r.kind,
    requests: r.requests,
    unique: r.first.size,
    bad_signatures: r.bad_signatures,
    duplicates: r.duplicates,
    arrivals: full ? [...r.first.values()] : undefined,
  }));
}

const ports = await Promise.all(
  receivers.map(
    (r) =>
      new Promise((resolve) => {
        const server = createServer((req, res) => {
          const chunks = [];
          req.on('data', (c) => chunks.push(c));
          req.on('end', () => {
            if (req.method === 'GET' && req.url?.startsWith('/stats')) {
              const full = req.url === '/stats?arrivals=1';
              res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats(full)));
              return;
            }
            if (req.method === 'POST' && req.url === '/reset') {
              for (const x of receivers) {
                x.requests = 0;
                x.bad_signatures = 0;
                x.duplicates = 0;
                x.first.clear();
              }
              return void res.writeHead(204).end();
            }
            if (req.method === 'PUT' && req.url === '/secret') {
              r.secret = Buffer.concat(chunks).toString();
              return void res.writeHead(204).end();
            }
            const at = Date.now();
            r.requests++;
            if (r.kind === 'failing') return void res.writeHead(500).end('failing on purpose');
            if (r.kind === 'slow') return void setTimeout(() => res.writeHead(204).end(), SLOW_MS);
            const body = Buffer.concat(chunks);
            let event;
            try {
              event = verifyWebhook(body, req.headers, r.secret);
            } catch {
              r.bad_signatures++;
              return void res.writeHead(401).end('bad signature');
            }
            const id = req.headers['webhook-id'];
            if (r.first.has(id)) r.duplicates++;
            else r.first.set(id, [id, at, event?.data?.contact_id ?? null]);
            res.writeHead(204).end();
          });
        });
        server.keepAliveTimeout = 60_000;
        server.listen(0, '127.0.0.1', () => resolve(server.address().port));
      }),
  ),
);
console.log(`ready ${JSON.stringify(ports)}`);
