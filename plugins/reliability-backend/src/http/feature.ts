import express from 'express';
import Router from 'express-promise-router';
import {
  AuditorService,
  AuthService,
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskScheduleDefinition,
  UrlReaderService,
} from '@backstage/backend-plugin-api';
import type { ReadinessFacts } from '@reliability-suite/plugin-reliability-common';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { Guards } from './guards';
import type { CatalogAccess } from '../catalog/CatalogAccess';
import type { EntityAccess } from '../catalog/entityAccess';
import type { ReliabilityConfig } from '../config/readReliabilityConfig';
import type { ReliabilityEvents } from '../events/ReliabilityEvents';
import type { Redactor } from '../redaction/Redactor';

/** What a feature's routes get from the router: the shared guards, the JSON body parser, and the clock. */
export interface RouteContext {
  guards: Guards;
  /** The JSON body parser (5 MB); a route that must check something first (the Alertmanager secret) runs it itself. */
  json: express.RequestHandler;
  now: () => number;
}

/** A scheduled task with its own schedule, as notifications-backend's NotificationCleaner owns its own. */
export interface ScheduledTask {
  /** Schedules the task; called once at startup. */
  start(scheduler: SchedulerService): Promise<void>;
}

/** A task from an id, a scope, its schedule and the work of one run. */
export function scheduledTask(
  id: string,
  scope: 'global' | 'local',
  schedule: SchedulerServiceTaskScheduleDefinition,
  run: () => Promise<unknown>,
): ScheduledTask {
  return {
    start: scheduler =>
      scheduler.scheduleTask({
        id,
        scope,
        ...schedule,
        fn: async () => {
          await run();
        },
      }),
  };
}

/**
 * What one feature folder offers the plugin: its routes (registered behind the shared guards), its scheduled tasks,
 * and the paths it serves without a Backstage token (each authenticates on its own). The ports it offers other
 * features are the other fields of its factory's answer.
 */
export interface Feature {
  routes?(router: ReturnType<typeof Router>, context: RouteContext): void;
  tasks?: ScheduledTask[];
  unauthenticated?: string[];
  /** The feature's part of an entity's readiness review (readiness asks every feature through this one port). */
  readinessFacts?: ReadinessFactsSource;
  /** Called once when the backend shuts down (the lifecycle service's hook): give back what this replica holds. */
  shutdown?(): Promise<void>;
}

/** One feature's facts for the readiness review of an entity (bounded reads; reads never write). */
export type ReadinessFactsSource = (
  entityRef: string,
  annotations: Record<string, string>,
) => Promise<Partial<ReadinessFacts>>;

/**
 * What every feature factory is given: the config, the shared services, the event port, and the stores it names
 * (`S`: each factory says which of the suite's stores it uses, by their types or by ports of its own; wiring/ builds
 * them all and gives every factory the same context). It lives here, below the features, so that no feature imports
 * wiring/.
 */
export interface FeatureContext<S = {}> {
  config: ReliabilityConfig;
  /** The plugin's logger: every line passes the redaction step. */
  logger: LoggerService;
  redactor: Redactor;
  stores: S;
  events: ReliabilityEvents;
  access: CatalogAccess;
  entities: EntityAccess;
  catalog: CatalogService;
  auth: AuthService;
  auditor: AuditorService;
  urlReader: UrlReaderService;
}
