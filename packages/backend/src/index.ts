/*
 * The portal's backend: Backstage core plugins plus the reliability suite.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));
backend.add(import('@backstage/plugin-proxy-backend'));

// scaffolder plugin
backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);

// auth plugin, guest sign-in
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

// catalog plugin
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// TechDocs: the suite's reference (docs/) under the System reliability-suite, built locally with mkdocs
backend.add(import('@backstage/plugin-techdocs-backend'));
// ...from a copy of mkdocs.yml and docs/: TechDocs would otherwise list the whole checkout and rewrite its mkdocs.yml
backend.add(import('./techdocsPreparer'));

// permission plugin
backend.add(import('@backstage/plugin-permission-backend'));
// everything allowed except Run now on remediations, which needs ownership of the entity
backend.add(import('./permissionPolicy'));

// search plugin (in-memory engine) with the catalog collator
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));
// ...and the suite's SLOs, runbook sections and incidents, each visible to who may read its entity
backend.add(
  import('@reliability-suite/plugin-search-backend-module-reliability'),
);

// user settings, notifications and signals
backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));
// the events bus: signals and catalog events reach every replica of the portal (they go through the database), not
// only the process that raised them
backend.add(import('@backstage/plugin-events-backend'));

// the reliability suite: OpenSLO entities in the catalog, and the reliability API
backend.add(
  import('@reliability-suite/plugin-catalog-backend-module-reliability'),
);
backend.add(import('@reliability-suite/plugin-reliability-backend'));
// Alertmanager through the events backend's HTTP ingress, POST /api/events/http/alertmanager (docs/alerts.md)
backend.add(
  import('@reliability-suite/plugin-reliability-backend').then(m => ({
    default:
      m.reliabilityEventsModule ??
      (m.default as unknown as typeof m).reliabilityEventsModule,
  })),
);
// AI agents: the actions registered with the Actions Registry (the suite's, by backend.actions.pluginSources) as MCP
// tools over Streamable HTTP at /api/mcp-actions/v1, for the calling user
backend.add(import('@backstage/plugin-mcp-actions-backend'));
// the suite's demo (demo traffic, drills, load tests, changes, journeys and the demo shop): only with reliability.demo.enabled
backend.add(
  import('@reliability-suite/plugin-reliability-backend-module-demo'),
);
// the suite's scaffolder actions: new SLOs, runbooks and chaos experiments, and the demo's local publisher
backend.add(
  import('@reliability-suite/plugin-scaffolder-backend-module-reliability'),
);
// Tech Insights (scorecards) with the suite's facts (readiness, SLO compliance and budget, freeze, last drill, load
// test and chaos run) and its checks for the readiness checklist, through the JSON rules engine fact checker
backend.add(import('@backstage-community/plugin-tech-insights-backend'));
backend.add(
  import('@reliability-suite/plugin-tech-insights-backend-module-reliability'),
);
backend.add(
  import(
    '@reliability-suite/plugin-tech-insights-backend-module-reliability'
  ).then(m => ({
    // loaded through Node's ESM-from-CommonJS interop, a named export sits on the module's default export
    default:
      m.techInsightsModuleReliabilityChecks ??
      (m.default as unknown as typeof m).techInsightsModuleReliabilityChecks,
  })),
);

backend.start();
