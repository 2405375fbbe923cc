export interface Config {
  reliability?: {
    evaluation?: {
      /** How often every SLO is evaluated. Default: every minute. */
      schedule?: {
        frequency:
          | { minutes?: number; seconds?: number; hours?: number }
          | { cron: string };
        timeout: { minutes?: number; seconds?: number };
        initialDelay?: { minutes?: number; seconds?: number };
      };
      /**
       * Sharded evaluation (PostgreSQL only; ignored on SQLite): the SLOs are split into `count` shards by a stable
       * hash of their ref, and every replica evaluates the shards it holds a lease on, taking ceil(count / live
       * replicas) of them. Absent: one replica at a time evaluates every SLO (the global tick). See docs/scaling.md.
       */
      shards?: {
        /** How many shards (1 to 4096); several per replica you expect, e.g. 64. Changing it moves SLOs between shards. */
        count: number;
        /**
         * How long a lease holds without renewal, in seconds (6 to 3600; default 30). Replicas renew every third of
         * it; a replica that dies loses its shards when its leases expire.
         */
        leaseSeconds?: number;
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
        /**
         * Base URL, e.g. http://prometheus:9090. `user:password@` becomes HTTP Basic auth; the URL can carry
         * credentials, so it is secret.
         * @visibility secret
         */
        url: string;
        /**
         * Headers sent with each query, e.g. Authorization: Bearer ${PROMETHEUS_TOKEN}.
         * @visibility secret
         */
        headers?: { [name: string]: string };
        /**
         * Read the recorded series of the rules this suite exports (slo:sli_error:ratio_rate<w>) for the burn-rate
         * lookbacks, instead of the raw queries: `detect` (default) where /api/v1/rules shows the SLO's current rules
         * loaded, `declared` wherever the series exist (rules loaded in a ruler without that API), `off` never.
         */
        recordedRules?: 'detect' | 'declared' | 'off';
      }>;
    };
    alerting?: {
      /** How long a burn-rate or no-data condition must hold before its alert goes from pending to firing. Default 1m. */
      pendingFor?: string;
      /**
       * A CSV of burn-rate rules (header slo_id,window,threshold_x, optional severity) for SLOs without an OpenSLO
       * alertPolicies block or a reliability.io/burn-rate-alerts annotation. slo_id is the SLO's name with - as _
       * (or namespace/name). A malformed file stops the backend at startup, naming the line.
       */
      burnRateCsv?: string;
    };
    alertmanager?: {
      /**
       * Shared secret Alertmanager sends as `Authorization: Bearer <secret>` (http_config.authorization.credentials).
       * Read it from the environment: sharedSecret: ${ALERTMANAGER_SHARED_SECRET}
       * @visibility secret
       */
      sharedSecret?: string;
      /**
       * The events topic of the events backend's HTTP ingress for Alertmanager (POST /api/events/http/<topic>, with
       * the module reliabilityEventsModule; the same shared secret as bearer). The receiver subscribes to it under one
       * id on every replica, so a notification is acted on once. 1-100 letters, digits, '.', '_' or '-'. Default
       * alertmanager.
       */
      eventsTopic?: string;
    };
    /** More ways in: PagerDuty's V3 webhooks and generic HMAC-signed webhooks, handed to remediation (docs/webhooks.md). */
    webhooks?: {
      pagerduty?: {
        /**
         * The signing secrets of the PagerDuty V3 webhook subscriptions (several while one is rotated). POST
         * /api/reliability/webhooks/pagerduty accepts a delivery whose X-PagerDuty-Signature has a v1= HMAC-SHA256 of
         * the body under any of them. Read them from the environment: ${PAGERDUTY_WEBHOOK_SECRET}. Unset: no receiver.
         * @visibility secret
         */
        secrets?: string[];
      };
      /** Generic signed webhooks, by name: POST /api/reliability/webhooks/generic/<name>. */
      generic?: {
        [name: string]: {
          /**
           * The HMAC-SHA256 key the sender signs with (at least 16 characters), e.g. ${MONITOR_WEBHOOK_SECRET}.
           * @visibility secret
           */
          secret: string;
          /** The header carrying the signature. Default X-Signature-256. */
          signatureHeader?: string;
          /** What precedes the hex digest in that header. Default sha256=. */
          signaturePrefix?: string;
          /** When set, the header carrying the Unix time (seconds) of the delivery; the signature is then over `<timestamp>.<body>`. */
          timestampHeader?: string;
          /** How far the timestamp may be from now. Default 300. */
          toleranceSeconds?: number;
          /** JSON pointer (RFC 6901) to the delivery's id, e.g. /alert/id; deliveries are deduplicated by it. */
          idPath: string;
          /** Label name to JSON pointer, e.g. payload.severity: /alert/severity. Rules match these labels. */
          labels: { [label: string]: string };
          /** Annotation name to JSON pointer, e.g. summary: /alert/title. */
          annotations?: { [name: string]: string };
          /** JSON pointer to an entity ref: only that entity's rules run. */
          entityRefPath?: string;
        };
      };
    };
    metrics?: {
      /**
       * When set, GET /api/reliability/metrics needs `Authorization: Bearer <token>` (Prometheus:
       * authorization.credentials in the scrape config). The metrics carry rule ids and action types, never hosts.
       * @visibility secret
       */
      token?: string;
    };
    remediation?: {
      /** Rules binding alerts to actions. Each problem stops the backend at startup, naming the field. */
      rules?: Array<{
        /** Lowercase id, unique. */
        id: string;
        /** The catalog entity the rule belongs to (history, Run now permission). */
        entityRef: string;
        description?: string;
        /** Alertmanager-style label matchers, all must hold: severity="error", env!="dev", service=~"check.*". */
        match?: string[];
        /**
         * Which triggers may run it: alert (the suite's own), alertmanager, manual, pagerduty (PagerDuty's V3
         * webhook, incident.triggered), webhook (a generic signed webhook). Default all.
         */
        triggers?: Array<
          'alert' | 'alertmanager' | 'manual' | 'pagerduty' | 'webhook'
        >;
        /** webhook, feature-flag, kubernetes, or an action added through the -node extension point. */
        action: string;
        /**
         * The action's parameters. Secrets (hmacSecret, API keys in headers, tokens) belong in env: ${FLAG_API_KEY}.
         * @deepVisibility secret
         */
        params?: { [key: string]: any };
        /** Lease key; one execution per key at a time across replicas, e.g. rollback:{{env}}. Default <action>:<id>. */
        lockKey?: string;
        /** No new run under the same lock key within this long after a success. Default 10m. */
        cooldown?: string;
        /** At most this many calls per attemptWindow (default 3 per 10m); then the rule escalates. */
        maxAttempts?: number;
        attemptWindow?: string;
        /** Retries within one execution, with full-jitter backoff. Default 2. */
        retries?: number;
        /** Per call. Default 10s. */
        timeout?: string;
      }>;
      kubernetes?: {
        clusters?: Array<{
          name: string;
          /**
           * API server URL. Plain http needs skipTLSVerify (the test fake only).
           * @visibility secret
           */
          url: string;
          /** @visibility secret */
          serviceAccountToken?: string;
          /** @visibility secret */
          caData?: string;
          skipTLSVerify?: boolean;
        }>;
      };
      /** Circuit breaker per target: opens after failureThreshold (3) consecutive failures, for openFor (1m). */
      breaker?: { failureThreshold?: number; openFor?: string };
      /** Full-jitter backoff between retries: uniform in [0, min(cap, base * 2^n)). Default 200ms and 5s. */
      backoff?: { base?: string; cap?: string };
      /** How often each replica looks for executions left by a stopped replica. Default 15 s. */
      dispatchIntervalSeconds?: number;
      /** Added to an execution's longest possible run to form its lease. Default 30s. */
      leaseGrace?: string;
      /**
       * What rules an entity's owners write (annotation reliability.io/remediation-rules, docs/remediation.md,
       * "Rules owners write") may do. Each owner rule applies only to its own entity's alerts.
       */
      ownerRules?: {
        /** Load owner-written rules at all. Default true. */
        enabled?: boolean;
        /** Action ids an owner rule may use (webhook, feature-flag, kubernetes, ...). Default none. */
        allowedActions?: string[];
        /**
         * Per action id, what it may point at: webhook `urlPrefixes` (params.url under one, same origin), feature-flag
         * `urlPrefixes` (params.baseUrl) and optional `flags`, kubernetes `namespaces` as cluster/namespace or
         * cluster/*; `any: true` allows any target of another action.
         */
        allowedTargets?: {
          [action: string]: {
            urlPrefixes?: string[];
            flags?: string[];
            namespaces?: string[];
            any?: boolean;
          };
        };
        /** At most this many rules per entity; later ones are refused. Default 20. */
        maxRulesPerEntity?: number;
        /** How often each replica reloads the annotated entities' files (at least 5s). Default 60s. */
        refreshInterval?: string;
      };
      /** Self-healing that spares a human (docs/remediation.md, "Self-healing grace"). */
      selfHealing?: {
        /**
         * How long the page of a page-severity alert that a remediation rule matches waits for the fix: when the fix
         * succeeds and the alert resolves in that time, nobody is paged (counted in selfheal_pages_avoided_total).
         * 0 to 3600; default 60; 0 pages at once.
         */
        graceSeconds?: number;
      };
      /** The 60-second path (docs/remediation.md, "The 60-second path"). */
      fastCheck?: {
        /**
         * How often the SLOs whose page alerts a remediation rule matches are evaluated, the minute in progress
         * counted. 0 to 60; default 10; 0 turns the fast check off (the evaluation tick then drives every alert).
         */
        intervalSeconds?: number;
        /** How long a page condition of such an SLO holds before it fires (its rule's alertAfter wins). Default 0. */
        pendingSeconds?: number;
        /** At most this many SLOs are checked fast (the first by ref); the others stay with the tick. Default 200. */
        maxSlos?: number;
      };
    };
    gate?: {
      /** The budget window of the launch-freeze gate (GET /gate). Default 7d. */
      window?: string;
      /** Deny launches when an SLO has less than this share of its budget left (0-1). Default 0.25. */
      minBudgetRemaining?: number;
      /** The longest a gate override (POST /gate/overrides) may last: a fixed duration from 1m to 7d. Default 24h. */
      maxOverride?: string;
      /**
       * The token Flagger's webhooks send as `metadata.token` to POST /gate/flagger (Flagger's webhooks cannot send
       * headers). At least 16 characters. Unset: that route answers 404.
       * @visibility secret
       */
      flaggerToken?: string;
    };
    /**
     * Delivery of the suite's own alerts (fired, resolved) to the targets their SLO's OpenSLO
     * AlertNotificationTargets name: `pagerduty:payments` names the target `payments` below. Credentials stay
     * here (use ${ENV} substitution): never stored in the database, shown by the API or logged.
     */
    delivery?: {
      /** Default true; false sends nothing. */
      enabled?: boolean;
      /** How often each replica drains the outbox, in seconds. Default 5. */
      intervalSeconds?: number;
      /** Attempts per delivery before it fails (429, 5xx, timeouts are retried). Default 10. */
      maxAttempts?: number;
      /** Full-jitter backoff between attempts: uniform in [0, min(cap, base * 2^n)). Default 5s and 10m. */
      backoff?: { base?: string; cap?: string };
      /** Per call. Default 10s. */
      timeout?: string;
      /** How long delivered and failed deliveries are kept (a firing one until its resolution is too). Default 90d. */
      retention?: string;
      /** The targets by name (letters, digits, - and _). */
      targets?: {
        [name: string]: {
          /** pagerduty, slack, opsgenie, teams or webhook. */
          type: 'pagerduty' | 'slack' | 'opsgenie' | 'teams' | 'webhook';
          /**
           * pagerduty: the Events API v2 integration's routing key.
           * @visibility secret
           */
          routingKey?: string;
          /**
           * opsgenie: the API integration's key (sent as `Authorization: GenieKey <key>`).
           * @visibility secret
           */
          apiKey?: string;
          /**
           * slack, teams, webhook: where to POST. A Slack or Teams webhook URL is itself the secret.
           * @visibility secret
           */
          url?: string;
          /**
           * webhook: the HMAC-SHA256 key (at least 16 characters) of `X-Reliability-Signature`.
           * @visibility secret
           */
          secret?: string;
          /** pagerduty: default https://events.pagerduty.com; opsgenie: default https://api.opsgenie.com (EU: https://api.eu.opsgenie.com). */
          baseUrl?: string;
          /** teams: adaptiveCard (a Workflows webhook, default) or messageCard (an Office 365 connector). */
          format?: 'adaptiveCard' | 'messageCard';
        };
      };
      /**
       * Routing as code (docs/delivery.md): which targets an alert goes to, per owner group or entity and severity,
       * with quiet hours and escalation. Validated at startup; a bad policy stops the backend, naming its path.
       */
      routing?: {
        /** At most 500; names and matches unique. An entity policy wins over an owner one; else the first listed. */
        policies: Array<{
          /** Letters, digits, - and _, at most 63. */
          name: string;
          /** A group ref (`owner: group:default/payments-sre`) or an entity ref (`entity: component:default/checkout`), in full form. */
          match: { owner: string } | { entity: string };
          /** At most 20, one per severity; `*` routes apply to every severity. */
          routes: Array<{
            severity: 'page' | 'ticket' | '*';
            /** Names of `reliability.delivery.targets` (1 to 10). */
            targets: string[];
            /** Hold notifications back during quiet hours. Default: true unless the severity is page. */
            respectQuietHours?: boolean;
            /** At most 5 steps: page these targets when the page is unacknowledged this many minutes (1-1440, increasing) after delivery. */
            escalation?: Array<{ afterMinutes: number; targets: string[] }>;
          }>;
          /** A daily window when routes that respect quiet hours hold notifications back until it ends. */
          quietHours?: {
            /** An IANA time zone, such as Europe/Berlin. */
            timeZone: string;
            /** The days the window starts on: mon, tue, wed, thu, fri, sat, sun. */
            days: Array<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun'>;
            /** HH:MM local time. */
            start: string;
            /** HH:MM local time; at or before start, the window ends the next day. */
            end: string;
          };
        }>;
      };
    };
    /**
     * Secret hygiene (docs/secrets.md). Beside any secret-bearing key under `reliability`, a block may declare
     * `secretHygiene: { <key>: { rotatedAt: 'YYYY-MM-DD', maxAge: 90d } }`.
     */
    secrets?: {
      /** Maximum age of secrets that declare none (a fixed-length duration: 90d, 12w). */
      defaultMaxAge?: string;
      /** Groups told of state changes and refused credentials. Default [group:default/platform]. */
      owners?: string[];
    };
    /**
     * Who the shipped permission policy lets do the sensitive actions (README: Widening the default policy). Unset:
     * nobody; a refused request answers 403 naming the key.
     */
    permissions?: {
      /** Groups (or users) that may approve chaos experiments of production entities (spec.lifecycle: production). */
      chaosApprovers?: string[];
      /** Groups (or users) that may import the organisation's SLO and burn-rate registries, and read GET /secrets. */
      platformGroups?: string[];
      /** Groups (or users) that may override the deploy gate (POST /gate/overrides) of any entity. */
      gateOverriders?: string[];
    };
    /** Backstage notifications to the owners (page-level burns, escalations, chaos aborts). */
    notifications?: {
      /** Default true; false sends none. */
      enabled?: boolean;
    };
    /** The scaffolder module's local publisher (reliability:publish:local), used by the demo's templates. */
    scaffolder?: {
      /** The folder templates publish into, which a catalog Location reads (relative to where the backend runs). */
      publishDir?: string;
      /** That Location's entity ref: refreshed after publishing, so new entities appear at once. */
      locationRef?: string;
    };
    /** The synthetic runner: journeys of entities, run on the scheduler (one replica per journey and region). */
    synthetics?: {
      /** Run journeys on this backend (default true); the registry and results are served either way. */
      enabled?: boolean;
      /** Hosts journeys may call: exact names or `*.example.com`. Nothing else is called, redirects included. */
      allowedHosts?: string[];
      /**
       * Values for `{{secrets.NAME}}` in journeys (a test account's password, an API key). Kept in config only.
       * @visibility secret
       */
      secrets?: { [name: string]: string };
      /** DNS servers (`ip` or `ip:port`) for journeys, instead of the system resolver. */
      dnsServers?: string[];
      /**
       * The region this backend replica is in: it runs only that region's journeys, and reports the region as
       * served (a journey region no live replica serves is shown as unmonitored). Default: every region.
       */
      region?: string;
      /** The regions this runner serves (default: every region of every journey); `region` is the one-region form. */
      regions?: string[];
      /** Journeys run at once (default 10). */
      concurrency?: number;
      /** Requests in flight per host across journeys (default 4). */
      perHostConcurrency?: number;
      /** How often the runner looks for due journeys (default 15 s). */
      intervalSeconds?: number;
      /** How long runs are kept for the charts (default 30d). */
      retention?: string;
      /** Evidence (step timings, excerpts, screenshots, HARs) is kept for this many last runs per journey and region (default 20). */
      evidenceRuns?: number;
      /** Browser steps (playwright-core on the machine's Chromium). */
      browser?: {
        /** Off unless true. */
        enabled?: boolean;
        /** The Chromium binary (default: chromium on PATH). */
        executablePath?: string;
        /** Largest screenshot and HAR kept, in bytes (default 1,000,000 each). */
        maxEvidenceBytes?: number;
      };
    };
    /** Failover drills. */
    drills?: {
      /** How old the last successful drill may be before the entity's tab warns (default 90d: a quarter). */
      maxAge?: string;
    };
    /** Guardrails of chaos experiments (the linter of the portal, POST /chaos/lint and yarn chaos:lint). */
    chaos?: {
      /** The largest share of requests an experiment may hit (blastRadius.trafficPercent). Default 10 (max_traffic). */
      maxTrafficPercent?: number;
      /** The largest share of pods (blastRadius.podPercent). Default maxTrafficPercent. */
      maxPodPercent?: number;
      /** Per environment, other limits, e.g. { staging: { maxTrafficPercent: 50, maxPodPercent: 25 } }. */
      environments?: {
        [name: string]: { maxTrafficPercent?: number; maxPodPercent?: number };
      };
      /** Shortest and longest experiment. Default 30s and 60m. */
      minDuration?: string;
      maxDuration?: string;
      /** A cron schedule may not run more often than this. Default 1h. */
      minScheduleInterval?: string;
      /** Environments where a run needs an approver who is not the author. Default production, prod. */
      productionEnvironments?: string[];
      /** How often the guard checks running experiments' abort conditions. Default 10 (seconds). */
      guardIntervalSeconds?: number;
      /** Scheduled chaos: experiments with a cron schedule, started by the scheduler and ended at their duration. */
      schedule?: {
        /**
         * The environments scheduled runs may start in. Default: every environment but the production ones
         * (productionEnvironments); a scheduled start elsewhere is refused and recorded with why.
         */
        environments?: string[];
        /** How often the scheduler starts due runs and ends runs past their duration. Default 30 (seconds), 1 to 300. */
        intervalSeconds?: number;
      };
    };
  };
}
