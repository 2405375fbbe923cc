import http from 'http';
import { AddressInfo } from 'net';

/** A request a fake target received. */
export interface ReceivedCall {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * A loopback HTTP server standing in for a remediation target. `handler` decides the answer (default 200 {}).
 * Every request is recorded before it is answered.
 */
export async function startTarget(
  handler: (call: ReceivedCall, res: http.ServerResponse) => unknown = (
    _c,
    res,
  ) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  },
) {
  const calls: ReceivedCall[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const call = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      calls.push(call);
      Promise.resolve(handler(call, res)).catch(() => res.writeHead(500).end());
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>(r => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>(r => s.close(() => r()));
  return port;
}

/** Polls `fn` until it answers truthy; bounded. */
export async function eventually<T>(
  fn: () => Promise<T> | T,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise(r => setTimeout(r, 50));
  }
}
