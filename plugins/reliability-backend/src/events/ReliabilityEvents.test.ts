import { ReliabilityEvents } from './ReliabilityEvents';

const experiment = {
  id: 7,
  name: 'latency-checkout',
  entityRef: 'component:default/checkout',
} as any;

describe('ReliabilityEvents', () => {
  it('hands an event to its subscribers in the order they subscribed, and answers what each answered', async () => {
    const events = new ReliabilityEvents();
    const seen: string[] = [];
    events.subscribe('ChaosStarted', async ({ experiment: e }) => {
      seen.push(`first ${e.name}`);
      return ['litmus-start'];
    });
    events.subscribe('ChaosStarted', ({ experiment: e }) => {
      seen.push(`second ${e.name}`);
      return ['webhook-attack'];
    });
    expect(await events.publish('ChaosStarted', { experiment })).toEqual([
      ['litmus-start'],
      ['webhook-attack'],
    ]);
    expect(seen).toEqual(['first latency-checkout', 'second latency-checkout']);
  });

  it('drops an event nobody subscribed to, and keeps events of other names apart', async () => {
    const events = new ReliabilityEvents();
    const aborted: string[] = [];
    events.subscribe('ChaosAborted', ({ reason }) => void aborted.push(reason));
    expect(
      await events.publish('ChangeRecorded', {
        entityRef: 'component:default/checkout',
        kind: 'deploy',
        summary: null,
        at: 0,
      }),
    ).toEqual([]);
    await events.publish('ChaosAborted', { experiment, reason: 'kill switch' });
    expect(aborted).toEqual(['kill switch']);
  });

  it("lets a handler's error reach the publisher, and runs no later handler", async () => {
    const events = new ReliabilityEvents();
    const after = jest.fn();
    events.subscribe('RemediationEscalated', async () => {
      throw new Error('notifications are down');
    });
    events.subscribe('RemediationEscalated', after);
    await expect(
      events.publish('RemediationEscalated', {
        rule: {
          id: 'r',
          entityRef: 'component:default/checkout',
          action: 'webhook',
          params: {},
        },
        detail: 'x',
      }),
    ).rejects.toThrow('notifications are down');
    expect(after).not.toHaveBeenCalled();
  });
});
