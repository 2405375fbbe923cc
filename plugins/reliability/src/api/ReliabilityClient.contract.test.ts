import { reliabilityRoutes } from '@reliability-suite/plugin-reliability-common';
import { ReliabilityClient } from './ReliabilityApi';

/**
 * The client asks only for routes of the contract: every public method is called (with a stand-in argument that
 * reads as an id, a ref, an entity path or a body), and each request it makes, method and path, must be a route of
 * -common's registry, the source of the OpenAPI document (a `:param` matches one path segment). At compile time the
 * client's `fetch`, `get` and `send` take only ReliabilityRouteUrl paths, built from the same registry.
 */

const BASE = 'http://h/api/reliability';

/** One argument for any parameter: the text `1`, with the fields of an entity path. */
function standIn() {
  // a String object: it reads as the text `1` (an id, a ref, a body) and carries an entity path's fields
  // eslint-disable-next-line no-new-wrappers
  return Object.assign(new String('1'), {
    kind: 'component',
    namespace: 'default',
    name: 'checkout',
  });
}

/** The route of the registry a request is for, or undefined. */
function routeOf(method: string, url: string) {
  const path = url.slice(BASE.length).split('?')[0];
  const segments = path.split('/');
  return reliabilityRoutes.find(r => {
    if (r.method.toUpperCase() !== method) return false;
    const want = r.path.split('/');
    return (
      want.length === segments.length &&
      want.every(
        (s, i) =>
          (s.startsWith(':') && segments[i].length > 0) || s === segments[i],
      )
    );
  });
}

describe('ReliabilityClient against the contract', () => {
  it('requests only routes of the registry, with their methods', async () => {
    const calls: { method: string; url: string }[] = [];
    const client = new ReliabilityClient({
      discoveryApi: { getBaseUrl: async () => BASE },
      fetchApi: {
        fetch: async (input: any, init?: RequestInit) => {
          calls.push({ method: init?.method ?? 'GET', url: String(input) });
          return new Response(JSON.stringify({ items: [] }), { status: 200 });
        },
      } as any,
    });
    const methods = Object.getOwnPropertyNames(
      ReliabilityClient.prototype,
    ).filter(
      name =>
        name !== 'constructor' &&
        typeof (client as any)[name] === 'function' &&
        // the private helpers: the requests themselves, the cache and the path builders
        ![
          'fetch',
          'get',
          'send',
          'recentGet',
          'recently',
          'sloPath',
          'runbookPath',
          'overviewQuery',
        ].includes(name),
    );
    for (const name of methods) {
      const fn = (client as any)[name] as (...args: unknown[]) => unknown;
      const args = Array.from({ length: Math.max(fn.length, 1) }, standIn);
      try {
        await fn.apply(client, args);
      } catch {
        // a method that cannot use the stand-in answer: its request (if any) is still recorded
      }
    }
    const outside = calls.filter(c => !routeOf(c.method, c.url));
    expect(outside).toEqual([]);
    // the client reaches most of the API (the receivers, the metrics and the engine's reports are not its own)
    const reached = new Set(calls.map(c => routeOf(c.method, c.url)!.path));
    expect(methods.length).toBeGreaterThan(40);
    expect(reached.size).toBeGreaterThan(40);
  });
});
