export interface Config {
  reliability?: {
    /** The suite's demo (@reliability-suite/plugin-reliability-backend-module-demo): nothing happens unless `enabled` is true. */
    demo?: {
      /** Seed deterministic demo traffic for the demo SLOs, and import the demo's drills, load tests, changes and journeys. Default false. */
      enabled?: boolean;
      /** Days of history to seed. Default 30. */
      days?: number;
      /** Drill logs imported at start (CSV, the standard drill-log columns), relative to where the backend runs. */
      drillLogs?: Array<{ entityRef: string; file: string }>;
      /** Load-test runs recorded at start (a JSON list of POST /capacity/runs bodies), with the entity's p95 objective. */
      capacityRuns?: Array<{
        entityRef: string;
        file: string;
        latencyP95: string;
      }>;
      /** The demo shop on 127.0.0.1 (the journeys' target; Prometheus metrics on /metrics). */
      shop?: { port: number; shoppersPerSecond?: number };
      /** Synthetic journeys imported once the entity's SLOs are registered: a synthetic registry CSV and a JSON file of steps, with `historyHours` of past runs. */
      synthetics?: Array<{
        entityRef: string;
        registry: string;
        journeys: string;
        historyHours?: number;
      }>;
    };
  };
}
