/**
 * Shared types, schemas, permissions and the pure error-budget math of the reliability suite.
 * Nothing here does I/O: the backend and the frontend both import it.
 *
 * @packageDocumentation
 */
export * from './math/duration';
export * from './math/windows';
export * from './math/budget';
export * from './math/mwmb';
export * from './math/status';
export * from './math/lttb';
export * from './alerts/conditions';
export * from './math/series';
export * from './openslo/openslo';
export * from './openslo/definition';
export * from './openslo/parse';
export * from './openslo/compact';
export * from './openslo/sloth';
export * from './openslo/kinds';
export * from './runbooks/runbook';
export * from './api/types';
export * from './permissions';
export * from './alerts/prometheusRules';

export * from './remediation/matchers';
export * from './remediation/backoff';
export * from './remediation/types';
export * from './openslo/alertPolicy';
export * from './incidents/incident';
export * from './redaction/redact';
export * from './model/pagination';
export * from './model/params';
export * from './model/result';
export * from './model/constants';
export * from './format/format';
export * from './alerts/identity';
export * from './chaos/experiment';
export * from './chaos/lint';
export * from './chaos/export';
export * from './csv/csv';
export * from './drills/drill';
export * from './capacity/capacity';
export * from './changes/change';
export * from './synthetics/journey';
export * from './synthetics/api';
export * from './synthetics/registryCsv';
export * from './synthetics/hosts';
export * from './synthetics/series';
export * from './synthetics/journeyTemplate';
export * from './synthetics/excerpt';
export * from './synthetics/sli';
export * from './template/template';
export * from './readiness/readiness';
export * from './openslo/build';
export * from './math/backtest';
export * from './overview/overview';
export * from './imports/registry';
export * from './math/timeslices';
export * from './math/histogram';
export * from './math/composite';
export * from './math/rules';
export * from './math/ranges';
export * from './math/percentile';
export * from './corrections/corrections';
