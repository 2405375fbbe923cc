// A client that reports SLI events the way a careful reporter does: each batch has its own Idempotency-Key, and a
// batch that is not acknowledged (an error, a 5xx, a 409 while its first try still runs, no answer within 10 s) is
// sent again with the same key and the same body, until it is acknowledged or its attempts run out.

const sleep = ms => new Promise(r => setTimeout(r, ms));

/**
 * Posts batches to `POST /sli-events` from `concurrency` loops while `fault()` runs, and for `tailMs` after it
 * ended; then lets the retries finish. Every loop is bounded: `maxAttempts` per batch, `deadlineMs` overall.
 * Answers the figures: batches sent (first tries), attempts, retried attempts, acknowledged batches, replays, the
 * good/total the acknowledged batches carry, the statuses seen, and the batches never acknowledged.
 */
export async function ingestThroughFault({
  baseUrl,
  token,
  slo,
  keyPrefix,
  fault,
  warmupMs = 1000,
  tailMs = 2000,
  concurrency = 4,
  maxAttempts = 120,
  retryDelayMs = 250,
  deadlineMs = 60_000,
  // the first try of every `loseEvery`-th batch gives up on its answer after `loseAfterMs` (an answer lost on the
  // way back): its retry must be answered from the key, not counted again
  loseEvery = 0,
  loseAfterMs = 15,
}) {
  const started = Date.now();
  const hardDeadline = started + deadlineMs;
  const f = {
    batches: 0,
    attempts: 0,
    retried: 0,
    acknowledged: 0,
    replayed: 0,
    good: 0,
    total: 0,
    statuses: {},
    errors: {},
    unacknowledged: [],
    lastAckAt: 0,
    // the first acknowledgement once the fault ended (the database back, the backend answering again)
    answeredAfterFault: 0,
    outageMs: 0,
    lost: 0,
  };
  let firstFailureAt = 0;
  let recoveredAt = 0;
  let faultDone = false;
  let faultEndedAt = 0;
  let next = 0;

  const post = async (key, body, timeoutMs = 10_000) => {
    const res = await fetch(`${baseUrl}/api/reliability/sli-events`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'idempotency-key': key,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    return {
      status: res.status,
      replayed: res.headers.get('idempotent-replayed') === 'true',
      text,
    };
  };

  const loop = async () => {
    while (Date.now() < hardDeadline) {
      // new batches while the fault runs and for tailMs after it
      if (faultDone && Date.now() - faultEndedAt > tailMs) return;
      const i = next++;
      const total = 1 + (i % 10);
      const good = total - (i % 3 === 0 ? 1 : 0);
      const key = `${keyPrefix}-${i}`;
      // one body per batch: a retry sends the same bytes (the timestamp too)
      const body = JSON.stringify({
        events: [
          {
            slo,
            timestamp: new Date(Date.now() - 5_000).toISOString(),
            good,
            total,
          },
        ],
      });
      f.batches++;
      let acked = false;
      for (
        let attempt = 0;
        attempt < maxAttempts && Date.now() < hardDeadline;
        attempt++
      ) {
        if (attempt > 0) {
          f.retried++;
          await sleep(retryDelayMs);
        }
        f.attempts++;
        const lose = loseEvery > 0 && attempt === 0 && i % loseEvery === 0;
        try {
          const r = await post(key, body, lose ? loseAfterMs : 10_000);
          f.statuses[r.status] = (f.statuses[r.status] ?? 0) + 1;
          if (r.status === 202) {
            acked = true;
            if (r.replayed) f.replayed++;
            break;
          }
          // a backend that is starting answers 404 with no body until the plugin's routes are mounted
          const starting = r.status === 404 && r.text.trim() === '';
          if (
            r.status < 500 &&
            r.status !== 409 &&
            r.status !== 429 &&
            !starting
          )
            throw new Error(
              `batch ${key} refused: ${r.status} ${r.text.slice(0, 300)}`,
            );
          const kind = `${r.status} ${r.text.slice(0, 120)}`;
          f.errors[kind] = (f.errors[kind] ?? 0) + 1;
        } catch (e) {
          if (String(e.message).startsWith(`batch ${key} refused`)) throw e;
          if (lose && e.name === 'TimeoutError') {
            f.lost++;
            continue;
          }
          const kind =
            e.name === 'TimeoutError'
              ? 'no answer within 10 s'
              : `${e.cause?.code ?? e.name}`;
          f.errors[kind] = (f.errors[kind] ?? 0) + 1;
        }
        if (!firstFailureAt) firstFailureAt = Date.now();
      }
      if (acked) {
        if (faultDone && !f.answeredAfterFault)
          f.answeredAfterFault = Date.now();
        f.acknowledged++;
        f.good += good;
        f.total += total;
        f.lastAckAt = Date.now();
        if (firstFailureAt && !recoveredAt) recoveredAt = Date.now();
      } else f.unacknowledged.push(key);
    }
  };

  const loops = Array.from({ length: concurrency }, loop);
  await sleep(warmupMs);
  const faultStartedAt = Date.now();
  try {
    await fault();
  } finally {
    faultDone = true;
    faultEndedAt = Date.now();
  }
  await Promise.all(loops);
  f.faultMs = faultEndedAt - faultStartedAt;
  f.faultStartedAt = faultStartedAt;
  f.faultEndedAt = faultEndedAt;
  f.outageMs = firstFailureAt && recoveredAt ? recoveredAt - firstFailureAt : 0;
  f.durationMs = Date.now() - started;
  return f;
}
