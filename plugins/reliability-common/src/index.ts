/**
 * Shared types, schemas, permissions and the pure error-budget math of the reliability suite.
 * Nothing here does I/O: the backend and the frontend both import it.
 *
 * @packageDocumentation
 */
// The bottom: pure math (imports only math/).
export * from './math/duration';
export * from './math/windows';
export * from './math/budget';
export * from './math/mwmb';
export * from './math/status';
export * from './math/lttb';
export * from './math/series';
export * from './math/backtest';
export * from './math/timeslices';
export * from './math/histogram';
export * from './math/composite';
export * from './math/rules';
export * from './math/ranges';
export * from './math/percentile';

// The shared vocabulary: ids, query params, results, pagination.
export * from './model/pagination';
export * from './model/params';
export * from './model/result';
export * from './model/constants';
export * from './model/actionParams';
export * from './model/entityTab';

// Support: CSV, formatting, redaction, label matchers and the one template engine.
export * from './csv/csv';
export * from './format/format';
export * from './redaction/redact';
export * from './matchers/matchers';
export * from './template/template';

// The SLO loaders behind one entry point, parseSlo.
export * from './openslo/openslo';
export * from './openslo/definition';
export * from './openslo/parse';
export * from './openslo/compact';
export * from './openslo/sloth';
export * from './openslo/formats/formats';
export * from './openslo/kinds';
export * from './openslo/alertPolicy';
export * from './openslo/build';

// Features, each with its model and, where it has REST routes, its api.ts.
export * from './alerts/conditions';
export * from './alerts/api';
export * from './alerts/prometheusRules';
export * from './alerts/identity';
export * from './capacity/capacity';
export * from './changes/change';
export * from './chaos/experiment';
export * from './chaos/lint';
export * from './chaos/export';
export * from './chaos/runs';
export * from './corrections/corrections';
export * from './delivery/api';
export * from './gates/gates';
export * from './delivery/quietHours';
export * from './delivery/routing';
export * from './secrets/hygiene';
export * from './drills/drill';
export * from './imports/registry';
export * from './incidents/incident';
export * from './overview/overview';
export * from './readiness/readiness';
export * from './readiness/resilience';
export * from './remediation/backoff';
export * from './remediation/ownerRules';
export * from './remediation/types';
export * from './runbooks/runbook';
export * from './runbooks/api';
export * from './slos/api';
export * from './slos/shard';
export * from './synthetics/journey';
export * from './synthetics/api';
export * from './synthetics/registryCsv';
export * from './synthetics/hosts';
export * from './synthetics/series';
export * from './synthetics/journeyTemplate';
export * from './synthetics/excerpt';
export * from './synthetics/sli';
export * from './webhooks/jsonPointer';
export * from './webhooks/labels';
export * from './webhooks/pagerduty';
export * from './webhooks/generic';
export * from './webhooks/api';
export * from './actions/actions';
export * from './permissions';

// The REST API's contract: every route with its schemas (the OpenAPI document is generated from it).
export * from './openapi/registry';
