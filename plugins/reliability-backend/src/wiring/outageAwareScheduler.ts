import type {
  LoggerService,
  SchedulerService,
  SchedulerServiceTaskFunction,
} from '@backstage/backend-plugin-api';

/** How often a task that ended during a database outage asks whether the database is back. */
const PROBE_EVERY_MS = 250;

/**
 * The scheduler the suite's tasks are given: each run, when it ends (done or failed), waits while the database does
 * not answer, until it answers again or the run's own timeout aborts it. Backstage's scheduler releases a run's
 * ticket in the database when the run returns; released during an outage, the release fails and the task stays
 * claimed until its timeout and then the scheduler's janitor clear it, so a global task (the evaluation tick) would
 * skip a minute or more. Waiting until the database is back lets the release land, and the next run start on time.
 */
export function outageAwareScheduler(
  scheduler: SchedulerService,
  reachable: () => Promise<boolean>,
  logger: LoggerService,
): SchedulerService {
  const wrap =
    (
      id: string,
      fn: SchedulerServiceTaskFunction,
    ): SchedulerServiceTaskFunction =>
    async signal => {
      let failure: unknown;
      try {
        await fn(signal);
      } catch (e) {
        failure = e;
      }
      const away = Date.now();
      let waited = false;
      while (!signal.aborted && !(await reachable())) {
        if (!waited)
          logger.warn(
            `Task ${id} ended while the database does not answer: waiting for it before the next run`,
          );
        waited = true;
        await new Promise(r => setTimeout(r, PROBE_EVERY_MS));
      }
      if (waited && !signal.aborted)
        logger.info(
          `Task ${id}: the database answers again after ${
            Date.now() - away
          } ms`,
        );
      if (failure !== undefined) throw failure;
    };
  return Object.assign(Object.create(scheduler) as SchedulerService, {
    scheduleTask: (task: Parameters<SchedulerService['scheduleTask']>[0]) =>
      scheduler.scheduleTask({ ...task, fn: wrap(task.id, task.fn) }),
  });
}
