import { LoggerService } from '@backstage/backend-plugin-api';
import type { ChangeKind } from '@reliability-suite/plugin-reliability-common';
import type { ReliabilityRecords } from '@reliability-suite/plugin-reliability-node';
import { DEMO_PROFILES } from './traffic';

const MIN = 60_000;

/** The demo's changes, placed against the demo traffic's incidents (minutes before the demo epoch). */
function demoChanges(): {
  entityRef: string;
  kind: ChangeKind;
  version?: string;
  summary: string;
  author: string;
  agoMin: number;
}[] {
  const search = DEMO_PROFILES['default/search-latency'].incidents[0];
  const brownout = DEMO_PROFILES['default/checkout-success'].incidents[0];
  return [
    // the seed's SRE-102: a bad DB pool size pushed, the canary burns, rolled back
    {
      entityRef: 'component:default/search',
      kind: 'config',
      summary: 'SRE-102: DB pool size 50 -> 5',
      author: 'argocd',
      agoMin: search.startAgoMin + 3,
    },
    {
      entityRef: 'component:default/search',
      kind: 'config',
      summary: 'Rollback: DB pool size 5 -> 50',
      author: 'argocd',
      agoMin: search.startAgoMin - search.durationMin - 1,
    },
    {
      entityRef: 'component:default/search',
      kind: 'deploy',
      version: 'v4.2.0',
      summary: 'ranking tweaks',
      author: 'ci',
      agoMin: 9 * 1440,
    },
    // checkout: deploys that burned nothing, then the PSP brownout, which no change of ours caused
    {
      entityRef: 'component:default/checkout',
      kind: 'deploy',
      version: 'v2.13.0',
      summary: 'cart totals rounding',
      author: 'ci',
      agoMin: 13 * 1440 + 120,
    },
    {
      entityRef: 'component:default/checkout',
      kind: 'deploy',
      version: 'v2.14.0',
      summary: 'PSP client retries',
      author: 'ci',
      agoMin: brownout.startAgoMin + 26 * 60,
    },
    {
      entityRef: 'component:default/checkout',
      kind: 'flag',
      version: 'checkout-multibuy: on',
      summary: 'multibuy for 10% of users',
      author: 'flagd',
      agoMin: 2 * 1440 + 300,
    },
  ];
}

/** Records the demo's changes once (a database that has changes keeps its own). */
export async function importDemoChanges(
  changes: ReliabilityRecords['changes'],
  logger: LoggerService,
  now = Date.now(),
): Promise<void> {
  const epoch = Math.floor(now / MIN) * MIN;
  const demo = demoChanges();
  for (const ref of new Set(demo.map(c => c.entityRef))) {
    if ((await changes.list(ref, 1)).length) return;
  }
  for (const c of demo) {
    await changes.record(
      {
        entityRef: c.entityRef,
        kind: c.kind,
        version: c.version,
        summary: c.summary,
        author: c.author,
        at: epoch - c.agoMin * MIN,
        source: 'demo',
      },
      now,
    );
  }
  logger.info(`Demo changes: ${demo.length} recorded`);
}
