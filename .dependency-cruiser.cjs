/**
 * The layering rules of ARCHITECTURE.md, checked in `npm run lint` (dependency-cruiser).
 * Type-only imports count: a type from another layer is a dependency on it too.
 * Keep every regular expression free of nested quantifiers (dependency-cruiser refuses "unsafe" ones).
 */

/** Infrastructure of the server: it serves the domains and knows none of them. */
const INFRA = '^apps/server/src/(lib|db|jobs|events)/';
/** Tests start servers, seed databases and share helpers: the layering is about product code. */
const TEST = '([.]test[.]ts$|^apps/(server|cli)/test/|^apps/web/e2e/)';

/**
 * CLI files that may use the server's internals: the process-level verbs (start, migrate, setup,
 * users, simulator, and `local.ts`, their services on the install's database) and the program that
 * loads the configuration and reports its errors.
 */
const CLI_PROCESS_LEVEL =
  '^apps/cli/src/(main|program|output|commands/(start|migrate|setup|users|reports|local|simulator))[.]ts$';

/**
 * The send path's write functions, shared on purpose: inbound and campaigns write messages only
 * through the messages repo (its owner), and the sender updates a campaign's recipients in the same
 * statement as their messages with the fragments campaigns/repo.ts owns (one statement per chunk is
 * what keeps 1,000 msg/s).
 */
const SEND_PATH_REPOS = '^apps/server/src/(messages/repo|campaigns/repo)[.]ts$';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import circle: split the shared piece out, or inject the dependency.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'infra-imports-no-domain',
      severity: 'error',
      comment: 'lib/ db/ jobs/ events/ serve every domain and import none (config.ts is allowed).',
      from: { path: INFRA },
      to: { path: '^apps/server/src/', pathNot: [INFRA, '^apps/server/src/config[.]ts$'] },
    },
    {
      name: 'no-foreign-repo',
      severity: 'error',
      comment: 'A domain reaches another domain through its service, never its repo.',
      from: { path: '^apps/server/src/([^/]+)/', pathNot: TEST },
      to: { path: '^apps/server/src/[^/]+/.*repo[.]ts$', pathNot: ['^apps/server/src/$1/', SEND_PATH_REPOS] },
    },
    {
      name: 'send-path-repos-only-on-the-send-path',
      severity: 'error',
      comment: 'Only inbound and campaigns use the messages repo, only messages uses the campaigns repo.',
      from: { path: '^apps/server/src/', pathNot: [TEST, '^apps/server/src/(messages|inbound|campaigns)/'] },
      to: { path: SEND_PATH_REPOS },
    },
    {
      name: 'campaigns-repo-only-from-messages',
      severity: 'error',
      comment: 'The recipients fragments serve the sender; other domains go through the campaign service.',
      from: { path: '^apps/server/src/(inbound)/', pathNot: TEST },
      to: { path: '^apps/server/src/campaigns/repo[.]ts$' },
    },
    {
      name: 'no-foreign-routes',
      severity: 'error',
      comment: 'Route files are leaves: only the composition root (app.ts) registers them.',
      from: { path: '^apps/server/src/([^/]+)/' },
      to: { path: '^apps/server/src/[^/]+/.*routes[.]ts$', pathNot: '^apps/server/src/$1/' },
    },
    {
      name: 'web-uses-sdk-and-contracts',
      severity: 'error',
      comment: 'The dashboard talks to the server through @openwaba/sdk on @openwaba/contracts only.',
      from: { path: '^apps/web/', pathNot: TEST },
      to: { path: '^(apps|packages)/', pathNot: '^(apps/web/|packages/(sdk|contracts)/)' },
    },
    {
      name: 'cli-uses-sdk-and-contracts',
      severity: 'error',
      comment:
        'Anything a remote client could do goes through @openwaba/sdk; only process-level verbs use the server.',
      from: { path: '^apps/cli/', pathNot: [TEST, CLI_PROCESS_LEVEL] },
      to: { path: '^(apps|packages)/', pathNot: '^(apps/cli/|packages/(sdk|contracts)/)' },
    },
    {
      name: 'sdk-imports-no-app',
      severity: 'error',
      comment: 'The sdk is a client of the public API: contracts, never an app.',
      from: { path: '^packages/sdk/', pathNot: TEST },
      to: { path: '^(apps|packages)/', pathNot: '^packages/(sdk|contracts)/' },
    },
    {
      name: 'simulator-imports-no-app',
      severity: 'error',
      comment: 'The simulator stands alone (it plays Meta): nothing from apps/.',
      from: { path: '^packages/simulator/', pathNot: TEST },
      to: { path: '^apps/' },
    },
    {
      name: 'fake-llm-imports-no-app',
      severity: 'error',
      comment: 'The fake LLM stands alone (it plays OpenAI and Anthropic): nothing from apps/.',
      from: { path: '^packages/fake-llm/', pathNot: TEST },
      to: { path: '^apps/' },
    },
    {
      name: 'n8n-nodes-stand-alone',
      comment:
        'The n8n package is published on its own and installed into n8n: n8n-workflow and node built-ins only.',
      severity: 'error',
      from: { path: '^packages/n8n-nodes-openwaba/', pathNot: TEST },
      to: {
        dependencyTypesNot: ['core'],
        pathNot: ['^packages/n8n-nodes-openwaba/', '(^|/)node_modules/n8n-workflow/'],
      },
    },
    {
      name: 'contracts-import-only-zod',
      severity: 'error',
      comment: 'Contracts are shared by server, sdk, web and cli: zod and themselves only.',
      from: { path: '^packages/contracts/', pathNot: TEST },
      to: { pathNot: ['^packages/contracts/', '(^|/)node_modules/zod/'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|test-output|data)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.tsx', '.js', '.mjs', '.cjs', '.json'],
    },
  },
};
