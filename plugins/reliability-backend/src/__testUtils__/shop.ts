import http from 'http';
import https from 'https';
import dgram from 'dgram';
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AddressInfo } from 'net';
import * as dnsPacket from 'dns-packet';

/**
 * A small shop on loopback for synthetic journeys: home, OTP login (a token), search, cart, checkout, plus a page
 * that never answers, a redirect elsewhere, and a 404. Counts requests per path and the most in flight at once.
 */
export async function startShop(
  options: { redirectTo?: string; otp?: string } = {},
) {
  const hits = new Map<string, number>();
  let inFlight = 0;
  let maxInFlight = 0;
  const carts = new Map<string, string>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', c => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://shop');
      hits.set(url.pathname, (hits.get(url.pathname) ?? 0) + 1);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const done = () => inFlight--;
      res.on('close', done);
      const body = Buffer.concat(chunks).toString('utf8');
      const json = (status: number, v: unknown) =>
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify(v));
      const authed = req.headers.authorization === 'Bearer tok-123';
      if (url.pathname === '/')
        return res
          .writeHead(200, { 'content-type': 'text/html' })
          .end(
            '<html><body><h1>Demo shop</h1><a href="/login">Log in</a></body></html>',
          );
      if (url.pathname === '/login/otp' && req.method === 'POST') {
        const { user, otp } = JSON.parse(body || '{}');
        if (otp !== (options.otp ?? '424242'))
          return json(401, { error: 'wrong otp' });
        return json(200, { user, token: 'tok-123' });
      }
      if (url.pathname === '/search')
        return authed
          ? json(200, {
              query: url.searchParams.get('q'),
              items: [{ sku: 'sku-9', price: 12.5 }],
            })
          : json(401, { error: 'log in first' });
      if (url.pathname === '/cart' && req.method === 'POST') {
        const { sku } = JSON.parse(body || '{}');
        carts.set('cart-1', sku);
        return res
          .writeHead(201, {
            'content-type': 'application/json',
            'x-cart-id': 'cart-1',
          })
          .end(JSON.stringify({ cartId: 'cart-1', sku }));
      }
      if (url.pathname.startsWith('/checkout/') && req.method === 'POST') {
        const sku = carts.get(url.pathname.slice('/checkout/'.length));
        return sku
          ? json(201, {
              status: url.searchParams.get('fail') ? 'pending' : 'paid',
              sku,
            })
          : json(404, { error: 'no cart' });
      }
      if (url.pathname === '/slow') return undefined; // never answers
      if (url.pathname === '/delay')
        return void setTimeout(
          () => json(200, { ok: true }),
          Number(url.searchParams.get('ms') ?? 50),
        );
      if (url.pathname === '/moved')
        return res.writeHead(302, { location: '/' }).end();
      if (url.pathname === '/away')
        return res
          .writeHead(302, {
            location: options.redirectTo ?? 'http://elsewhere.test/',
          })
          .end();
      return json(404, { error: 'not found' });
    });
  });
  await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    hits,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise<void>(r => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A self-signed certificate for localhost and 127.0.0.1 valid for `days` (openssl), served over TLS on loopback. */
export async function startTlsServer(days: number) {
  const dir = mkdtempSync(join(tmpdir(), 'synthetic-tls-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
        '-days',
        String(days),
        '-subj',
        '/CN=localhost',
        '-addext',
        'subjectAltName=DNS:localhost,IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = https.createServer(
      {
        key: readFileSync(join(dir, 'key.pem')),
        cert: readFileSync(join(dir, 'cert.pem')),
      },
      (_req, res) => res.end('ok'),
    );
    await new Promise<void>(r => server.listen(0, '127.0.0.1', r));
    return {
      port: (server.address() as AddressInfo).port,
      close: () =>
        new Promise<void>(r => {
          server.closeAllConnections();
          server.close(() => r());
        }),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * A DNS server on loopback (UDP, the real wire format through dns-packet): names in `records` answer their IPv4
 * address, every other name NXDOMAIN. AAAA questions for known names answer no records.
 */
export async function startDns(records: Record<string, string>) {
  const socket = dgram.createSocket('udp4');
  const queries: string[] = [];
  socket.on('message', (msg, rinfo) => {
    let q: dnsPacket.Packet;
    try {
      q = dnsPacket.decode(msg);
    } catch {
      return;
    }
    const question = q.questions?.[0];
    if (!question) return;
    queries.push(`${question.type} ${question.name}`);
    const address = records[question.name.toLowerCase()];
    const answers =
      address && question.type === 'A'
        ? [{ type: 'A' as const, name: question.name, ttl: 60, data: address }]
        : [];
    const NXDOMAIN = 3;
    const flags =
      dnsPacket.RECURSION_DESIRED |
      dnsPacket.RECURSION_AVAILABLE |
      (address ? 0 : NXDOMAIN);
    socket.send(
      dnsPacket.encode({
        type: 'response',
        id: q.id,
        flags,
        questions: q.questions,
        answers,
      }),
      rinfo.port,
      rinfo.address,
    );
  });
  await new Promise<void>(r => socket.bind(0, '127.0.0.1', r));
  return {
    server: `127.0.0.1:${socket.address().port}`,
    queries,
    close: () => new Promise<void>(r => socket.close(() => r())),
  };
}
