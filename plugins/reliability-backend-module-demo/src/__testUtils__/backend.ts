import path from 'path';
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import request from 'supertest';
import {
  createBackendModule,
  SchedulerServiceTaskInvocationDefinition,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabaseId,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { Entity } from '@backstage/catalog-model';
// the module's tests run it in the backend it plugs into (a dev dependency only)
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import reliabilityPlugin from '@reliability-suite/plugin-reliability-backend';
import {
  ReliabilityRecords,
  reliabilityRecordsExtensionPoint,
} from '@reliability-suite/plugin-reliability-node';
import { reliabilityModuleDemo } from '../module';

/** The repository's demo catalog (catalog/): the files the demo config names. */
export const catalogDir = path.resolve(__dirname, '../../../../catalog');

/** A Component entity in the default namespace. */
export const component = (name: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name, namespace: 'default' },
  spec: { owner: 'sre' },
});

/** An SLO of the demo catalog (catalog/slos/<file>), as the catalog serves it: measuring its service. */
export function demoSlo(file: string): Entity {
  const doc = parse(readFileSync(path.join(catalogDir, 'slos', file), 'utf8'));
  return {
    ...doc,
    metadata: { ...doc.metadata, namespace: 'default' },
    relations: [
      { type: 'measures', targetRef: `component:default/${doc.spec.service}` },
    ],
  };
}

/**
 * The reliability backend with the demo module on a database, its scheduled tasks run by hand, and the records the
 * backend offers to modules (captured by a provider of its own, for tests that call the demo's imports again).
 */
export async function bootDemo(
  databases: TestDatabases,
  reliability: object,
  entities: Entity[],
  databaseId: TestDatabaseId = 'SQLITE_3',
) {
  const knex = await databases.init(databaseId);
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  let records: ReliabilityRecords | undefined;
  const capture = createBackendModule({
    pluginId: 'reliability',
    moduleId: 'capture',
    register(env) {
      env.registerInit({
        deps: { providers: reliabilityRecordsExtensionPoint },
        async init({ providers }) {
          providers.addProvider({
            id: 'capture',
            connect: async r => void (records = r),
          });
        },
      });
    },
  });
  const { server } = await startTestBackend({
    features: [
      reliabilityPlugin,
      reliabilityModuleDemo,
      capture,
      mockServices.scheduler.mock({
        scheduleTask: async task => void tasks.set(task.id, task),
      }).factory,
      catalogServiceMock.factory({ entities }),
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          reliability: {
            evaluation: {
              schedule: {
                frequency: { hours: 24 },
                timeout: { minutes: 1 },
                initialDelay: { hours: 24 },
              },
            },
            ...reliability,
          },
        },
      }),
    ],
  });
  return {
    records: records!,
    tasks: [...tasks.keys()],
    run: async (id: string) => {
      const task = tasks.get(id);
      if (!task) throw new Error(`No task ${id} is scheduled`);
      await task.fn(new AbortController().signal);
    },
    get: (route: string, query: Record<string, string | number> = {}) =>
      request(server)
        .get(`/api/reliability${route}`)
        .query(query)
        .set('Authorization', mockCredentials.user.header()),
    /** A POST to the plugin as a signed-in user (the mock user unless named). */
    post: (route: string, body: object = {}, user?: string) =>
      request(server)
        .post(`/api/reliability${route}`)
        .send(body)
        .set('Authorization', mockCredentials.user.header(user)),
  };
}
