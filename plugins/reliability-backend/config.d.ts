export interface Config {
  reliability?: {
    evaluation?: {
      /** How often every SLO is evaluated. Default: every minute. */
      schedule?: {
        frequency: { minutes?: number; seconds?: number; hours?: number } | { cron: string };
        timeout: { minutes?: number; seconds?: number };
        initialDelay?: { minutes?: number; seconds?: number };
      };
    };
    storage?: {
      /** How long minute buckets are kept before they are folded into hourly ones (>= 6h). Default 7h. */
      minuteRetention?: string;
    };
    ingest?: {
      /** How old an ingested SLI event may be. Default 35d. */
      maxLateness?: string;
    };
    prometheus?: {
      /** Prometheus servers that SLOs with `metricSource.type: Prometheus` read from; the first is the default. */
      instances?: Array<{
        /** Name an SLO refers to with `metricSource.metricSourceRef` (or `spec.instance`). */
        name: string;
        /** Base URL, e.g. http://prometheus:9090 */
        url: string;
        /**
         * Headers sent with each query, e.g. Authorization: Bearer ${PROMETHEUS_TOKEN}.
         * @visibility secret
         */
        headers?: { [name: string]: string };
      }>;
    };
    alerting?: {
      /** How long a burn-rate or no-data condition must hold before its alert goes from pending to firing. Default 1m. */
      pendingFor?: string;
    };
    alertmanager?: {
      /**
       * Shared secret Alertmanager sends as `Authorization: Bearer <secret>` (http_config.authorization.credentials).
       * Read it from the environment: sharedSecret: ${ALERTMANAGER_WEBHOOK_SECRET}
       * @visibility secret
       */
      sharedSecret?: string;
    };
    gate?: {
      /** The budget window of the launch-freeze gate (GET /gate). Default 7d. */
      window?: string;
      /** Deny launches when an SLO has less than this share of its budget left (0-1). Default 0.25. */
      minBudgetRemaining?: number;
    };
    demo?: {
      /** Seed deterministic demo traffic for the demo SLOs. Default false. */
      enabled?: boolean;
      /** Days of history to seed. Default 30. */
      days?: number;
    };
  };
}
