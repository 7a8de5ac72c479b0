import { randomUUID } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { authRoutes } from './auth/routes.ts';
import { createAuthService } from './auth/service.ts';
import { createTokenSigner } from './auth/tokens.ts';
import type { Config } from './config.ts';
import type { Database } from './db/client.ts';
import { healthRoutes } from './health/routes.ts';
import { registerErrorHandling } from './lib/error-handler.ts';
import { registerAccessControl } from './lib/http.ts';
import { orgRoutes } from './orgs/routes.ts';
import { createOrgService } from './orgs/service.ts';
import { registerWeb } from './web.ts';

export interface AppDeps {
  config: Config;
  database: Database;
  appSecret: string;
  /** false silences logs (tests); default: JSON logs at config.LOG_LEVEL. */
  logger?: boolean;
}

export function createServices(deps: Pick<AppDeps, 'config' | 'database' | 'appSecret'>) {
  const db = deps.database.db;
  const signer = createTokenSigner(deps.appSecret, deps.config.ACCESS_TOKEN_TTL_SECONDS);
  const auth = createAuthService({ db, config: deps.config, signer });
  const orgs = createOrgService({ db, auth });
  return { auth, orgs };
}
export type Services = ReturnType<typeof createServices>;

const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** Builds the HTTP app without listening; tests call `app.inject`. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    logger: deps.logger === false ? false : { level: config.LOG_LEVEL },
    bodyLimit: config.BODY_LIMIT_BYTES,
    trustProxy: true,
    requestIdHeader: false,
    genReqId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && REQUEST_ID.test(incoming) ? incoming : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('x-frame-options', 'DENY');
  });
  registerErrorHandling(app);

  const services = createServices(deps);
  await app.register(fastifyCookie);
  registerAccessControl(app, services.auth);

  await app.register(fastifySwagger, {
    openapi: {
      info: { title: 'openwaba API', version: '1', description: 'Self-hosted WhatsApp Business platform' },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          cookie: { type: 'apiKey', in: 'cookie', name: 'ow_access' },
          bearer: { type: 'http', scheme: 'bearer' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, { routePrefix: '/docs' });
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );

  await app.register(healthRoutes({ database: deps.database }));
  await app.register(authRoutes({ auth: services.auth, config }));
  await app.register(orgRoutes({ orgs: services.orgs, config }));
  await registerWeb(app, config.WEB_DIST_DIR);
  return app;
}
