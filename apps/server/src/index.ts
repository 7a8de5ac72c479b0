/** The server's public surface, used by the CLI (and later the desktop shell). */
export { buildApp } from './app.ts';
export { type Config, ConfigError, envExample, loadConfig } from './config.ts';
export { type Database, openDatabase } from './db/client.ts';
export { migrationStatus, runMigrations } from './db/migrate.ts';
export { appVersion, type VersionInfo, versionLabel } from './health/version.ts';
export { AppError } from './lib/errors.ts';
export { resolveAppSecret } from './lib/secret.ts';
export {
  bootstrapFirstOwner,
  DEFAULT_ADMIN_EMAIL,
  openConfiguredDatabase,
  type Running,
  startServer,
} from './main.ts';
export { createServices, type Services } from './services.ts';
