import websocket from '@fastify/websocket';
import { ClientFrame, WS_CLOSE } from '@openwaba/contracts';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ACCESS_COOKIE } from '../auth/cookies.ts';
import type { AuthService } from '../auth/service.ts';
import type { Config } from '../config.ts';
import { AppError, forbidden } from '../lib/errors.ts';
import type { RealtimeHub } from './hub.ts';

const MAX_FRAME = 4096;
/**
 * Close code when a user already holds WS_MAX_CONNECTIONS_PER_USER sockets on this process (4xxx:
 * application codes; 29 as in HTTP 429). The sdk backs off and falls back to polling.
 */
export const WS_CLOSE_TOO_MANY = 4029;

/** Same-origin only for cookie sessions: a page on another site must not ride the user's cookie. */
function checkOrigin(req: FastifyRequest, config: Config) {
  const origin = req.headers.origin;
  if (!origin) return;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    throw forbidden('Bad Origin header');
  }
  const allowed = [req.headers.host, new URL(config.publicUrl).host];
  if (!allowed.includes(host)) throw forbidden(`WebSocket connections from ${origin} are not allowed`);
}

/**
 * GET /ws: authenticated by the session cookie (browsers) or `Authorization: Bearer` (other clients).
 * The client sends `subscribe` (optionally with `since`); the server answers `ready` or `resync`, then
 * streams `event` frames. See packages/contracts/src/events.ts.
 */
export async function realtimeRoutes(
  app: FastifyInstance,
  deps: { auth: AuthService; hub: RealtimeHub; config: Config },
) {
  // Open sockets per user on this process: one user (or a stolen session) must not be able to hold
  // the hub's memory and fan-out hostage with thousands of connections.
  const openByUser = new Map<string, number>();
  const max = deps.config.WS_MAX_CONNECTIONS_PER_USER;
  await app.register(websocket, {
    options: { maxPayload: MAX_FRAME },
    // On shutdown: say goodbye (1001, clients reconnect elsewhere), give peers a second, then cut.
    preClose: async function closeSockets(this: FastifyInstance) {
      const server = this.websocketServer;
      for (const client of server.clients) client.close(1001, 'server shutting down');
      const deadline = Date.now() + 1000;
      while (server.clients.size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      for (const client of server.clients) client.terminate();
      await new Promise<void>((r) => server.close(() => r()));
    },
  });
  app.get(
    '/ws',
    {
      websocket: true,
      schema: { hide: true },
      preValidation: async (req) => {
        const header = req.headers.authorization;
        const bearer = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : undefined;
        const token = bearer ?? req.cookies[ACCESS_COOKIE];
        if (!token)
          throw new AppError('UNAUTHENTICATED', 'Sign in first', { details: { reason: 'no_token' } });
        if (!bearer) checkOrigin(req, deps.config);
        req.auth = await deps.auth.authenticate(token, req.ip);
        // An API key sees the organisation's events if it may read its conversations.
        if (req.auth.scopes && !req.auth.scopes.includes('conversations.read'))
          throw new AppError('FORBIDDEN', 'This API key lacks the scope conversations.read');
      },
    },
    (socket, req) => {
      const auth = req.auth!;
      const open = openByUser.get(auth.userId) ?? 0;
      if (open >= max) {
        socket.close(WS_CLOSE_TOO_MANY, `too many connections: at most ${max} per user`);
        return;
      }
      openByUser.set(auth.userId, open + 1);
      socket.once('close', () => {
        const left = (openByUser.get(auth.userId) ?? 1) - 1;
        if (left > 0) openByUser.set(auth.userId, left);
        else openByUser.delete(auth.userId);
      });
      const sub = deps.hub.attach(
        { orgId: auth.orgId, userId: auth.userId, sessionId: auth.sessionId },
        socket,
      );
      socket.on('pong', () => deps.hub.pong(sub));
      socket.on('close', () => deps.hub.detach(sub));
      socket.on('error', () => deps.hub.detach(sub));
      socket.on('message', (raw, isBinary) => {
        deps.hub.pong(sub);
        let frame: ClientFrame;
        try {
          if (isBinary) throw new Error('binary frames are not accepted');
          frame = ClientFrame.parse(JSON.parse(String(raw)));
        } catch (err) {
          deps.hub.send(sub, {
            type: 'error',
            message: `Bad frame: ${err instanceof Error ? err.message.slice(0, 300) : 'invalid'}`,
          });
          socket.close(WS_CLOSE.badFrame, 'bad frame');
          deps.hub.detach(sub);
          return;
        }
        if (frame.type === 'ping') {
          deps.hub.send(sub, { type: 'pong' });
          return;
        }
        void deps.hub
          .subscribe(sub, frame.since, {
            ...(frame.conversation_id ? { conversation_id: frame.conversation_id } : {}),
            ...(frame.campaign_id ? { campaign_id: frame.campaign_id } : {}),
          })
          .catch((err) => {
            req.log.warn({ err }, 'subscribe failed');
            socket.close(1011, 'subscribe failed');
          });
      });
    },
  );
}
