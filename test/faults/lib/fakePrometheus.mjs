// A Prometheus on loopback whose behaviour the test switches:
//   'good'    answers the query API as Prometheus documents it (https://prometheus.io/docs/prometheus/latest/querying/api/):
//             every expression of the backend's batched queries (tagged with label_replace(..., "__reliability_q",
//             "<i>", "", "")) gets one sample: 0.99 for a good query (le="1"), 1 for a total, so the SLI is 0.99
//   'hang'    accepts the connection and never answers (the socket is held until the test ends)
//   'broken'  500 to the first request, then 200 with a body that is not JSON, in turn
// It keeps when each instant query came: the evaluation ticks, seen from outside.
import http from 'node:http';
import net from 'node:net';

export async function startFakePrometheus() {
  let mode = 'good';
  let brokenCount = 0;
  const held = new Set();
  const counts = { good: 0, hang: 0, broken: 0 };
  // when each instant query (or, in 'hang', each connection) came, the last 10,000: the evaluation ticks as Prometheus
  // sees them
  const queries = [];
  const arrived = () => {
    queries.push(Date.now());
    if (queries.length > 10_000) queries.shift();
  };

  const api = http.createServer((req, res) => {
    let body = '';
    req.on('data', d => {
      if (body.length < 1_000_000) body += d;
    });
    req.on('end', () => {
      if (req.url.startsWith('/api/v1/query?') || req.url === '/api/v1/query')
        arrived();
      if (mode === 'hang') {
        // a kept-alive connection made before the switch: hold it too
        counts.hang++;
        held.add(req.socket);
        req.socket.on('close', () => held.delete(req.socket));
        return;
      }
      if (mode === 'broken') {
        counts.broken++;
        if (brokenCount++ % 2 === 0) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end('internal error');
        } else {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end('{"status":"succ<html>garbage');
        }
        return;
      }
      counts.good++;
      const url = new URL(req.url, 'http://prometheus');
      const params = new URLSearchParams(
        req.method === 'POST' ? body : url.search,
      );
      const json = (data, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(data));
      };
      if (url.pathname === '/api/v1/rules')
        return json({ status: 'success', data: { groups: [] } });
      if (url.pathname === '/api/v1/query') {
        const query = params.get('query') ?? '';
        const t = Number(params.get('time') ?? Date.now() / 1000);
        const result = [];
        const parts = query.split('label_replace(').slice(1);
        const marker = '"__reliability_q", "';
        for (const part of parts) {
          const at = part.indexOf(marker);
          if (at < 0) continue;
          const tag = part.slice(at + marker.length).split('"')[0];
          const value = part.includes('le="1"') ? '0.99' : '1';
          result.push({ metric: { __reliability_q: tag }, value: [t, value] });
        }
        if (!parts.length && query.includes('histogram_quantile'))
          result.push({ metric: {}, value: [t, '250'] });
        return json({
          status: 'success',
          data: { resultType: 'vector', result },
        });
      }
      if (url.pathname === '/api/v1/query_range')
        return json({
          status: 'success',
          data: { resultType: 'matrix', result: [] },
        });
      json(
        { status: 'error', errorType: 'bad_data', error: 'unknown path' },
        404,
      );
    });
  });

  // one listener: a held socket in 'hang' mode, otherwise handed to the HTTP server
  const tcp = net.createServer(socket => {
    if (mode === 'hang') {
      arrived();
      counts.hang++;
      held.add(socket);
      socket.on('close', () => held.delete(socket));
      socket.on('error', () => {});
      return;
    }
    api.emit('connection', socket);
  });
  await new Promise(r => tcp.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${tcp.address().port}`,
    counts,
    /** When the instant queries (in 'hang', the connections) came (epoch ms), in order. */
    queries: () => [...queries],
    setMode(m) {
      mode = m;
      brokenCount = 0;
      // a socket held open by 'hang' is let go once the mode changes: the client's next try connects afresh
      if (m !== 'hang') for (const s of held) s.destroy();
    },
    close() {
      for (const s of held) s.destroy();
      api.closeAllConnections();
      tcp.close();
    },
  };
}
