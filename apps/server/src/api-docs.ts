import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import type { Config } from './config.ts';
import { documentRoute, finishDocument } from './openapi-document.ts';

/**
 * The OpenAPI document (`/api/v1/openapi.json`) and its reference at `/docs`: Swagger UI served from
 * this process (no CDN, works offline), dressed as openwaba — our title, mark and colours, no
 * "explore another URL" box. Scalar and Redoc were weighed and left out (docs/adr/0018).
 */
export const DOCS_TITLE = 'openwaba API reference';

const BRAND = { 600: '#059669', 700: '#047857', 800: '#065f46', 100: '#d1fae5' };

/** The dashboard's mark: a speech bubble on a green tile. */
const MARK = `<rect x="2" y="4" width="32" height="32" rx="8" fill="${BRAND[600]}"/><path d="M12 28.5l1.4-4.3a8.2 8.2 0 1 1 3.2 3z" fill="none" stroke="#fff" stroke-width="2.4" stroke-linejoin="round"/>`;
const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif"';
// One <text> with two runs: the second follows the first whatever width the system font gives it.
const LOGO = `<svg xmlns="http://www.w3.org/2000/svg" width="230" height="40" viewBox="0 0 230 40">${MARK}<text x="44" y="27" ${FONT} font-size="21"><tspan font-weight="700" fill="#fff">openwaba</tspan><tspan dx="8" fill="${BRAND[100]}">API</tspan></text></svg>`;
const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="2 4 32 32">${MARK}</svg>`;

const CSS = `
.swagger-ui .topbar { background-color: ${BRAND[800]}; padding: 6px 0; }
.swagger-ui .topbar .download-url-wrapper { display: none; }
.swagger-ui .topbar a { max-width: none; }
.swagger-ui .info .title small.version-stamp { background-color: ${BRAND[600]}; }
.swagger-ui .info a, .swagger-ui a.nostyle:hover { color: ${BRAND[700]}; }
.swagger-ui .btn.authorize { color: ${BRAND[700]}; border-color: ${BRAND[600]}; }
.swagger-ui .btn.authorize svg { fill: ${BRAND[700]}; }
.swagger-ui .btn.execute { background-color: ${BRAND[600]}; border-color: ${BRAND[600]}; }
.swagger-ui .opblock-tag { color: #0f172a; }
`;

export async function registerApiDocs(app: FastifyInstance, config: Config) {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'openwaba API',
        version: '1',
        description: 'Self-hosted WhatsApp Business platform',
        license: { name: 'AGPL-3.0-only', identifier: 'AGPL-3.0-only' },
      },
      servers: [{ url: config.publicUrl }],
      components: {
        securitySchemes: {
          cookie: { type: 'apiKey', in: 'cookie', name: 'ow_access' },
          bearer: { type: 'http', scheme: 'bearer', description: 'A session access token' },
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'owk_…',
            description: 'An API key (Settings → API keys): the routes its scopes cover',
          },
        },
      },
    },
    transform: documentRoute,
    transformObject: (input) =>
      finishDocument(
        ('openapiObject' in input ? input.openapiObject : {}) as Parameters<typeof finishDocument>[0],
      ),
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', defaultModelsExpandDepth: -1 },
    logo: { type: 'image/svg+xml', content: LOGO, href: '/', target: '_self' },
    theme: {
      title: DOCS_TITLE,
      css: [{ filename: 'openwaba.css', content: CSS }],
      favicon: [
        { filename: 'openwaba.svg', rel: 'icon', type: 'image/svg+xml', sizes: 'any', content: FAVICON },
      ],
    },
  });
  app.get('/api/v1/openapi.json', { config: { access: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
}
