import { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';

/**
 * A scheduler for test backends that runs nothing by itself: the test runs the plugin's tasks when it wants them,
 * as the real scheduler would on its schedule. `evaluate()` runs the evaluation tick (registry sync, evaluation,
 * alerts, compaction), the only writer of the SLO registry and of statuses.
 */
export function manualScheduler() {
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  const run = async (id: string) => {
    const task = tasks.get(id);
    if (!task) throw new Error(`No task ${id} is scheduled`);
    await task.fn(new AbortController().signal);
  };
  return {
    factory: mockServices.scheduler.mock({
      scheduleTask: async task => {
        tasks.set(task.id, task);
      },
    }).factory,
    run,
    evaluate: () => run('reliability-evaluate'),
  };
}
