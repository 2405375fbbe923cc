import { ReliabilityClient } from './ReliabilityApi';

/** Every call the client makes: method, URL and JSON body, answered by `answer`. */
function recordingClient(
  answer: (url: string) => unknown = () => ({ items: [] }),
) {
  const calls: { method: string; url: string; body?: unknown }[] = [];
  const fetchApi = {
    fetch: async (input: any, init?: RequestInit) => {
      const url = String(input);
      calls.push({
        method: init?.method ?? 'GET',
        url,
        ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}),
      });
      const value = answer(url);
      return new Response(
        typeof value === 'string' ? value : JSON.stringify(value),
        { status: 200 },
      );
    },
  };
  const client = new ReliabilityClient({
    discoveryApi: { getBaseUrl: async () => 'http://h/api/reliability' },
    fetchApi: fetchApi as any,
  });
  return { client, calls };
}

const checkout = { kind: 'component', namespace: 'default', name: 'checkout' };

describe('ReliabilityClient, every method', () => {
  it('reads the alert deliveries at GET /delivery', async () => {
    const { client, calls } = recordingClient();
    await client.listDeliveries();
    await client.listDeliveries({
      state: 'failed',
      entityRef: 'component:default/checkout',
      limit: 50,
    });
    expect(
      calls.map(c => c.url.replace('http://h/api/reliability', '')),
    ).toEqual([
      '/delivery',
      '/delivery?state=failed&entityRef=component%3Adefault%2Fcheckout&limit=50',
    ]);
  });

  it('reads remediations, runbooks, the commander view and incidents at the documented URLs', async () => {
    const { client, calls } = recordingClient(url =>
      url.endsWith('/markdown') ? '# Incident 7' : { items: [] },
    );
    await client.listRemediations('component:default/checkout');
    await client.getRunbook(checkout);
    await client.listRunbookVersions(checkout);
    await client.getRunbookVersion(checkout, 3);
    await client.getCommanderAlerts();
    await client.listIncidents({
      state: 'active',
      entityRef: 'component:default/checkout',
    });
    await client.listIncidents();
    await client.getIncident(7);
    expect(await client.getIncidentMarkdown(7)).toBe('# Incident 7');
    expect(
      calls.map(
        c => `${c.method} ${c.url.replace('http://h/api/reliability', '')}`,
      ),
    ).toEqual([
      'GET /remediations?entityRef=component%3Adefault%2Fcheckout',
      'GET /runbooks/component/default/checkout',
      'GET /runbooks/component/default/checkout/versions',
      'GET /runbooks/component/default/checkout/versions/3',
      'GET /commander/alerts',
      'GET /incidents?state=active&entityRef=component%3Adefault%2Fcheckout',
      'GET /incidents',
      'GET /incidents/7',
      'GET /incidents/7/markdown',
    ]);
  });

  it('sends mutations with their JSON bodies', async () => {
    const { client, calls } = recordingClient(() => ({ id: 7, version: 2 }));
    await client.runRemediation('checkout-multibuy-rollback', {
      dryRun: true,
      labels: { env: 'prod' },
    });
    await client.saveRunbook(checkout, {
      baseVersion: 1,
      markdown: '# x',
      failureModes: [],
    });
    await client.declareIncident({
      entityRef: 'component:default/checkout',
      title: 'Checkout errors',
      severity: 'SEV2',
    });
    await client.appendTimeline(7, 'rolled back');
    await client.updateIncidentStatus(
      7,
      'monitoring',
      'error rate back to normal',
    );
    await client.setIncidentRoles(7, { commander: 'user:default/ana' });
    await client.closeIncident(7, {
      impact: 'none',
      rootCauses: ['flag'],
      actionItems: [],
    });
    expect(
      calls.map(c => [
        c.method,
        c.url.replace('http://h/api/reliability', ''),
        c.body,
      ]),
    ).toEqual([
      [
        'POST',
        '/remediations/run',
        {
          ruleId: 'checkout-multibuy-rollback',
          dryRun: true,
          labels: { env: 'prod' },
        },
      ],
      [
        'PUT',
        '/runbooks/component/default/checkout',
        { baseVersion: 1, markdown: '# x', failureModes: [] },
      ],
      [
        'POST',
        '/incidents',
        {
          entityRef: 'component:default/checkout',
          title: 'Checkout errors',
          severity: 'SEV2',
        },
      ],
      ['POST', '/incidents/7/timeline', { text: 'rolled back' }],
      [
        'POST',
        '/incidents/7/status',
        { status: 'monitoring', text: 'error rate back to normal' },
      ],
      ['PUT', '/incidents/7/roles', { commander: 'user:default/ana' }],
      [
        'POST',
        '/incidents/7/close',
        { impact: 'none', rootCauses: ['flag'], actionItems: [] },
      ],
    ]);
  });

  it('lints, lists, creates, approves, starts and aborts chaos experiments', async () => {
    const { client, calls } = recordingClient();
    await client.lintChaos('component:default/checkout', { name: 'x' });
    await client.listChaos('component:default/checkout');
    await client.createChaos('component:default/checkout', { name: 'x' });
    await client.approveChaos(4);
    await client.startChaos(4);
    await client.abortChaos(4);
    await client.listChaosFiles('component:default/checkout');
    expect(
      calls.map(c => [
        c.method,
        c.url.replace('http://h/api/reliability', ''),
        c.body,
      ]),
    ).toEqual([
      [
        'POST',
        '/chaos/lint',
        { entityRef: 'component:default/checkout', experiment: { name: 'x' } },
      ],
      ['GET', '/chaos?entityRef=component%3Adefault%2Fcheckout', undefined],
      [
        'POST',
        '/chaos',
        { entityRef: 'component:default/checkout', experiment: { name: 'x' } },
      ],
      ['POST', '/chaos/4/approve', {}],
      ['POST', '/chaos/4/start', {}],
      ['POST', '/chaos/4/abort', { reason: 'kill switch' }],
      [
        'GET',
        '/chaos/files?entityRef=component%3Adefault%2Fcheckout',
        undefined,
      ],
    ]);
  });
});

describe('ReliabilityClient.importRegistry', () => {
  it('posts the CSV as text/csv to /import/:registry with the entity and the dry run', async () => {
    const calls: { url: string; init?: RequestInit }[] = [];
    const fetchApi = {
      fetch: async (input: any, init?: RequestInit) => {
        calls.push({ url: String(input), init });
        return new Response(
          JSON.stringify({
            registry: 'drills',
            dryRun: false,
            created: 1,
            updated: 0,
            unchanged: 0,
            rows: [],
            notes: [],
          }),
          { status: 200 },
        );
      },
    };
    const client = new ReliabilityClient({
      discoveryApi: { getBaseUrl: async () => 'http://h/api/reliability' },
      fetchApi: fetchApi as any,
    });
    expect(
      (
        await client.importRegistry('drills', 'date\n', {
          entityRef: 'component:default/checkout',
        })
      ).created,
    ).toBe(1);
    await client.importRegistry('slos', 'slo_id\n', { dryRun: true });
    expect(
      calls.map(c => [
        c.url,
        c.init?.method,
        (c.init?.headers as any)['content-type'],
        c.init?.body,
      ]),
    ).toEqual([
      [
        'http://h/api/reliability/import/drills?entityRef=component%3Adefault%2Fcheckout',
        'POST',
        'text/csv',
        'date\n',
      ],
      [
        'http://h/api/reliability/import/slos?dryRun=true',
        'POST',
        'text/csv',
        'slo_id\n',
      ],
    ]);
  });
});
