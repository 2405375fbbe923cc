import { Knex } from 'knex';
import { resolvePackagePath } from '@backstage/backend-plugin-api';

const migrationsDir = resolvePackagePath(
  '@reliability-suite/plugin-reliability-backend',
  'migrations',
);

/** Runs the plugin's migrations (`migrations/`, SQLite and PostgreSQL) up to the latest. */
export async function migrateReliabilityDatabase(knex: Knex): Promise<void> {
  await knex.migrate.latest({
    directory: migrationsDir,
    tableName: 'reliability_knex_migrations',
  });
}
