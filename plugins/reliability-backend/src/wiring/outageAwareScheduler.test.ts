import { mockServices } from '@backstage/backend-test-utils';
import type {
  SchedulerService,
  SchedulerServiceTaskInvocationDefinition,
  SchedulerServiceTaskScheduleDefinition,
} from '@backstage/backend-plugin-api';

type Scheduled = SchedulerServiceTaskInvocationDefinition &
  SchedulerServiceTaskScheduleDefinition;
import { outageAwareScheduler } from './outageAwareScheduler';

/** A scheduler that keeps what it is given, and the answers of a database that is away for `awayFor` probes. */
function setUp(awayFor: number) {
  const scheduled: Scheduled[] = [];
  const inner = {
    scheduleTask: async (t: Scheduled) => {
      scheduled.push(t);
    },
    getScheduledTasks: async () => [],
  } as unknown as SchedulerService;
  let probes = 0;
  const reachable = async () => ++probes > awayFor;
  const scheduler = outageAwareScheduler(
    inner,
    reachable,
    mockServices.logger.mock(),
  );
  return { scheduler, scheduled, probes: () => probes };
}

describe('outageAwareScheduler', () => {
  it('returns from a run only once the database answers again, so the scheduler can release it', async () => {
    const { scheduler, scheduled, probes } = setUp(3);
    const order: string[] = [];
    await scheduler.scheduleTask({
      id: 'reliability-evaluate',
      frequency: { seconds: 2 },
      timeout: { seconds: 20 },
      scope: 'global',
      fn: async () => {
        order.push('ran');
      },
    });
    expect(scheduled.map(t => [t.id, t.scope])).toEqual([
      ['reliability-evaluate', 'global'],
    ]);
    await scheduled[0].fn(new AbortController().signal);
    order.push('returned');
    // three probes unanswered, the fourth answered
    expect([order, probes()]).toEqual([['ran', 'returned'], 4]);
  });

  it("passes a run's failure on after the database is back, and one probe when it never went away", async () => {
    const away = setUp(2);
    await away.scheduler.scheduleTask({
      id: 'failing',
      frequency: { seconds: 2 },
      timeout: { seconds: 20 },
      fn: async () => {
        throw new Error('connect ECONNREFUSED');
      },
    });
    await expect(
      away.scheduled[0].fn(new AbortController().signal),
    ).rejects.toThrow('connect ECONNREFUSED');
    expect(away.probes()).toBe(3);

    const fine = setUp(0);
    await fine.scheduler.scheduleTask({
      id: 'fine',
      frequency: { seconds: 2 },
      timeout: { seconds: 20 },
      fn: async () => {},
    });
    await fine.scheduled[0].fn(new AbortController().signal);
    expect(fine.probes()).toBe(1);
  });

  it("stops waiting when the run's timeout aborts it (the database never comes back)", async () => {
    const { scheduler, scheduled, probes } = setUp(Number.MAX_SAFE_INTEGER);
    await scheduler.scheduleTask({
      id: 'stuck',
      frequency: { seconds: 2 },
      timeout: { seconds: 1 },
      fn: async () => {},
    });
    const timeout = new AbortController();
    setTimeout(() => timeout.abort(), 600);
    const t0 = Date.now();
    await scheduled[0].fn(timeout.signal);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(probes()).toBeGreaterThanOrEqual(2);
  });
});
