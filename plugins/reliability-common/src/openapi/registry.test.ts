import {
  ReliabilityRouteBody,
  ReliabilityRouteUrl,
  reliabilityRoutes,
} from './registry';

describe('the route registry', () => {
  it('lists each route once, with a schema for every path parameter', () => {
    const keys = reliabilityRoutes.map(r => `${r.method} ${r.path}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const route of reliabilityRoutes) {
      const names = [...route.path.matchAll(/:([A-Za-z0-9_]+)/g)].map(
        m => m[1],
      );
      const params: Record<string, unknown> =
        'params' in route ? route.params : {};
      expect({ route: route.path, params: Object.keys(params) }).toEqual({
        route: route.path,
        params: names,
      });
    }
  });

  it('types the URLs a client may request (a path or a method the API does not serve does not compile)', () => {
    const urls: ReliabilityRouteUrl<'GET'>[] = [
      '/slos/default/checkout-success/history',
      '/incidents/1',
      '/incidents?state=active',
    ];
    // @ts-expect-error: no such route
    const unknownPath: ReliabilityRouteUrl<'GET'> = '/healthz';
    // @ts-expect-error: no DELETE on /slos
    const wrongMethod: ReliabilityRouteUrl<'DELETE'> = '/slos';
    // (a filled parameter is any text, slashes included: the frontend's ReliabilityClient.contract.test.ts checks
    // each request segment by segment)
    const post: ReliabilityRouteUrl<'POST'> = '/incidents/1/timeline';
    // a body typed from the route's schema
    const body: ReliabilityRouteBody<'POST /incidents/:id/timeline'> = {
      text: 'rolled back',
    };
    expect([...urls, unknownPath, wrongMethod, post, body.text]).toHaveLength(
      7,
    );
  });
});
