import { ReliabilityClient } from './ReliabilityApi';

describe('ReliabilityClient', () => {
  const discoveryApi = { getBaseUrl: async () => 'http://localhost:7007/api/reliability' };

  it('builds the documented URLs', async () => {
    const calls: string[] = [];
    const fetchApi = { fetch: async (url: any) => { calls.push(String(url)); return new Response(JSON.stringify({ items: [] }), { status: 200 }); } };
    const client = new ReliabilityClient({ discoveryApi, fetchApi: fetchApi as any });
    await client.listSlos('component:default/checkout');
    await client.getHistory('default/checkout-success', { window: '5m', points: 100 });
    await client.getPrometheusRules('default/checkout-success');
    expect(calls).toEqual([
      'http://localhost:7007/api/reliability/slos?entityRef=component%3Adefault%2Fcheckout',
      'http://localhost:7007/api/reliability/slos/default/checkout-success/history?window=5m&points=100',
      'http://localhost:7007/api/reliability/slos/default/checkout-success/prometheus-rules',
    ]);
  });

  it('turns error responses into ResponseError with the server message', async () => {
    const body = { error: { name: 'NotFoundError', message: 'No SLO named default/x' }, response: { statusCode: 404 } };
    const fetchApi = { fetch: async () => new Response(JSON.stringify(body), { status: 404, statusText: 'Not Found', headers: { 'content-type': 'application/json' } }) };
    const client = new ReliabilityClient({ discoveryApi, fetchApi: fetchApi as any });
    await expect(client.getHistory('default/x')).rejects.toMatchObject({ name: 'ResponseError', statusCode: 404, body: { error: { message: 'No SLO named default/x' } } });
  });
});
