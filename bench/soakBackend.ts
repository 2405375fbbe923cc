/*
 * The soak's backend: the suite's plugins alone (test/faults/lib/suiteBackend.ts) plus a sampler that appends one
 * JSON line to RELIABILITY_SOAK_SAMPLES every RELIABILITY_SOAK_SAMPLE_MS: the heap after a full garbage collection
 * (so that growth means retained memory, not garbage not yet collected), RSS, the live timers and handles by kind
 * (process.getActiveResourcesInfo), the listeners on `process`, and the listener-leak warnings Node printed
 * (MaxListenersExceededWarning, for EventEmitters and EventTargets such as AbortSignal). Started by bench/soak.mjs.
 */
import { appendFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
// eslint-disable-next-line import/no-unassigned-import
import '../test/faults/lib/suiteBackend';

const file = process.env.RELIABILITY_SOAK_SAMPLES;
const every = Number(process.env.RELIABILITY_SOAK_SAMPLE_MS ?? 60_000);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let leakWarnings = 0;
process.on('warning', w => {
  if (w.name === 'MaxListenersExceededWarning') leakWarnings++;
});

function sample() {
  gc();
  const m = process.memoryUsage();
  const resources: Record<string, number> = {};
  for (const r of process.getActiveResourcesInfo())
    resources[r] = (resources[r] ?? 0) + 1;
  const processListeners = process
    .eventNames()
    .reduce((n, e) => n + process.listenerCount(e), 0);
  if (file)
    appendFileSync(
      file,
      `${JSON.stringify({
        at: Date.now(),
        rss: m.rss,
        heapUsed: m.heapUsed,
        heapTotal: m.heapTotal,
        external: m.external,
        arrayBuffers: m.arrayBuffers,
        resources,
        processListeners,
        leakWarnings,
      })}\n`,
    );
}

setInterval(sample, every).unref();
