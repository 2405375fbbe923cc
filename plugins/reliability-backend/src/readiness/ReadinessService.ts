import { BackstageCredentials } from '@backstage/backend-plugin-api';
import {
  ReadinessFacts,
  ReadinessResponse,
  readinessScore,
} from '@reliability-suite/plugin-reliability-common';
import { EntityAccess } from '../catalog/entityAccess';
import type { ReadinessFactsSource } from '../http/feature';

export interface ReadinessServiceOptions {
  entities: EntityAccess;
  /** Each feature's part of the facts, asked in parallel. */
  sources: ReadinessFactsSource[];
  now?: () => number;
}

/** What the review knows without any feature: nothing, until the features say. */
const NO_FACTS: Omit<ReadinessFacts, 'entityRef' | 'annotations'> = {
  slos: [],
  runbook: null,
  journeys: [],
  drills: [],
  loadTests: [],
  remediation: { rules: 0, openEscalations: 0, lastOutcome: null },
  chaos: { completed: 0 },
  resilience: null,
  dashboards: [],
  paging: [],
};

/**
 * A service's readiness: the facts of each checklist item, each feature answering its part through one port (in
 * parallel, one bounded query each), scored by -common's `readinessScore`. Reads never write.
 */
export class ReadinessService {
  constructor(private readonly o: ReadinessServiceOptions) {}

  async facts(
    entityRef: string,
    annotations: Record<string, string>,
  ): Promise<ReadinessFacts> {
    const parts = await Promise.all(
      this.o.sources.map(source => source(entityRef, annotations)),
    );
    return Object.assign({ entityRef, annotations, ...NO_FACTS }, ...parts);
  }

  async get(
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<ReadinessResponse> {
    const ref = entityRef.toLocaleLowerCase('en-US');
    const annotations = await this.o.entities.annotations(ref, credentials);
    return readinessScore(
      await this.facts(ref, annotations),
      (this.o.now ?? Date.now)(),
    );
  }
}
