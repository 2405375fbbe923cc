import { ReliabilityClient } from './ReliabilityApi';

describe('ReliabilityClient', () => {
  const discoveryApi = {
    getBaseUrl: async () => 'http://localhost:7007/api/reliability',
  };

  it('builds the documented URLs', async () => {
    const calls: string[] = [];
    const fetchApi = {
      fetch: async (url: any) => {
        calls.push(String(url));
        return new Response(JSON.stringify({ items: [] }), { status: 200 });
      },
    };
    const client = new ReliabilityClient({
      discoveryApi,
      fetchApi: fetchApi as any,
    });
    await client.listSlos('component:default/checkout');
    await client.getHistory('default/checkout-success', {
      window: '5m',
      points: 100,
    });
    await client.getPrometheusRules('default/checkout-success');
    expect(calls).toEqual([
      'http://localhost:7007/api/reliability/slos?entityRef=component%3Adefault%2Fcheckout',
      'http://localhost:7007/api/reliability/slos/default/checkout-success/history?window=5m&points=100',
      'http://localhost:7007/api/reliability/slos/default/checkout-success/prometheus-rules',
    ]);
  });

  it('turns error responses into ResponseError with the server message', async () => {
    const body = {
      error: { name: 'NotFoundError', message: 'No SLO named default/x' },
      response: { statusCode: 404 },
    };
    const fetchApi = {
      fetch: async () =>
        new Response(JSON.stringify(body), {
          status: 404,
          statusText: 'Not Found',
          headers: { 'content-type': 'application/json' },
        }),
    };
    const client = new ReliabilityClient({
      discoveryApi,
      fetchApi: fetchApi as any,
    });
    await expect(client.getHistory('default/x')).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 404,
      body: { error: { message: 'No SLO named default/x' } },
    });
  });

  it("reuses the tab's reads for 15 seconds, shares one in flight, forgets failures, and reads afresh after a change", async () => {
    const calls: string[] = [];
    let fail = false;
    const fetchApi = {
      fetch: async (url: any, init?: RequestInit) => {
        calls.push(
          `${init?.method ?? 'GET'} ${String(url).replace(
            'http://localhost:7007/api/reliability',
            '',
          )}`,
        );
        if (fail)
          return new Response(
            JSON.stringify({ error: { name: 'Error', message: 'down' } }),
            { status: 503, headers: { 'content-type': 'application/json' } },
          );
        return new Response(JSON.stringify({ items: [] }), { status: 200 });
      },
    };
    const client = new ReliabilityClient({
      discoveryApi,
      fetchApi: fetchApi as any,
    });
    const now = jest.spyOn(Date, 'now').mockReturnValue(1_000_000);
    try {
      // two at once: one request
      await Promise.all([
        client.listSlos('component:default/a'),
        client.listSlos('component:default/a'),
      ]);
      await client.getHistory('default/s', { window: '1h', points: 500 });
      // coming back 14 s later: from memory
      now.mockReturnValue(1_014_000);
      await client.listSlos('component:default/a');
      await client.getHistory('default/s', { window: '1h', points: 500 });
      expect(calls).toEqual([
        'GET /slos?entityRef=component%3Adefault%2Fa',
        'GET /slos/default/s/history?window=1h&points=500',
      ]);
      // 15 s later: read again
      now.mockReturnValue(1_015_000);
      await client.listSlos('component:default/a');
      expect(calls).toHaveLength(3);
      // a change through the client: read afresh
      await client.createChaos('component:default/a', {});
      await client.listSlos('component:default/a');
      expect(calls.slice(3)).toEqual([
        'POST /chaos',
        'GET /slos?entityRef=component%3Adefault%2Fa',
      ]);
      // a failure is not kept
      fail = true;
      await expect(client.getHistory('default/t')).rejects.toMatchObject({
        statusCode: 503,
      });
      fail = false;
      await client.getHistory('default/t');
      expect(
        calls.filter(c => c.includes('/slos/default/t/history')),
      ).toHaveLength(2);
      // other reads (the commander's alerts, which it polls) always go to the server
      await client.getCommanderAlerts();
      await client.getCommanderAlerts();
      expect(calls.filter(c => c.includes('/commander/alerts'))).toHaveLength(
        2,
      );
    } finally {
      now.mockRestore();
    }
  });

  it("reuses every panel's list and the blank form's lint, which is a check and keeps the reads; the commander's incidents are always read", async () => {
    const calls: string[] = [];
    const fetchApi = {
      fetch: async (url: any, init?: RequestInit) => {
        calls.push(
          `${init?.method ?? 'GET'} ${String(url).replace(
            'http://localhost:7007/api/reliability',
            '',
          )}`,
        );
        return new Response(JSON.stringify({ items: [], violations: [] }), {
          status: 200,
        });
      },
    };
    const client = new ReliabilityClient({
      discoveryApi,
      fetchApi: fetchApi as any,
    });
    const e = 'component:default/a';
    const tab = async () => {
      await client.getReadiness(e);
      await client.getRunbook({
        kind: 'component',
        namespace: 'default',
        name: 'a',
      });
      await client.listIncidents({ entityRef: e });
      await client.listRemediations(e);
      await client.listSynthetics(e);
      await client.listSyntheticRuns(e, { journey: 'j', limit: 5 });
      await client.getSyntheticSeries(e, 'j');
      await client.listDrills(e, { limit: 50 });
      await client.listCapacityRuns(e);
      await client.listChaos(e);
      await client.listChaosFiles(e);
      await client.lintChaos(e, { name: 'blank' });
    };
    await tab();
    expect(calls).toHaveLength(12);
    expect(calls[11]).toBe('POST /chaos/lint');
    // coming back: nothing is asked again, the lint included
    await tab();
    expect(calls).toHaveLength(12);
    // another form is linted; the lint does not clear the reads
    await client.lintChaos(e, { name: 'edited' });
    await tab();
    expect(calls).toHaveLength(13);
    // a change clears everything
    await client.createDrill(e, {});
    await tab();
    expect(calls).toHaveLength(14 + 12);
    // the commander's active incidents, polled, are never reused
    await client.listIncidents({ state: 'active' });
    await client.listIncidents({ state: 'active' });
    expect(calls.filter(c => c === 'GET /incidents?state=active')).toHaveLength(
      2,
    );
  });
});
