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
    demo?: {
      /** Seed deterministic demo traffic for the demo SLOs. Default false. */
      enabled?: boolean;
      /** Days of history to seed. Default 30. */
      days?: number;
    };
  };
}
