/*
 * The other side of bench/remediation.bench.ts, in its own process as in production: Alertmanager (the sender of
 * webhook notifications, N in flight) and the remediation target (a loopback HTTP server that notes when each call
 * arrives). The backend under test then has its event loop to itself. Driven over the fork IPC channel.
 */
import http from 'node:http';

const delivered = new Map();
const target = http.createServer((req, res) => {
  const at = performance.timeOrigin + performance.now();
  let body = '';
  req.on('data', c => {
    body += c;
  });
  req.on('end', () => {
    try {
      const { id } = JSON.parse(body || '{}');
      if (id) delivered.set(id, at);
    } catch {
      // not a bench call
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});

async function pool(items, width, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

// Alertmanager's side is a light HTTP client (keep-alive, no fetch machinery), as Alertmanager's own Go client is
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function deliver(url, secret, [id, body]) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${secret}`,
          'x-bench-id': id,
        },
      },
      res => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200
            ? resolve()
            : reject(new Error(`receiver answered ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

process.on('message', async msg => {
  try {
    if (msg.cmd === 'send') {
      const t0 = performance.now();
      await pool(msg.alerts, msg.width, alert =>
        deliver(msg.url, msg.secret, alert),
      );
      process.send({ cmd: 'sent', seconds: (performance.now() - t0) / 1000 });
    } else if (msg.cmd === 'delivered') {
      process.send({ cmd: 'delivered', entries: [...delivered] });
    } else if (msg.cmd === 'stop') {
      agent.destroy();
      target.closeAllConnections();
      target.close();
      process.disconnect();
    }
  } catch (e) {
    process.send({ cmd: 'error', message: String(e?.stack ?? e) });
  }
});

target.listen(0, '127.0.0.1', () =>
  process.send({
    cmd: 'ready',
    url: `http://127.0.0.1:${target.address().port}`,
  }),
);
