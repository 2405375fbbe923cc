import {
  SloDefinition,
  SloSummary,
  alertPolicyOf,
  describeWindow,
  formatDuration,
  ruleId,
} from '@reliability-suite/plugin-reliability-common';

/** What `GET /slos` answers about an SLO, its status aside. */
export function sloSummaryOf(
  def: SloDefinition,
  entityRef: string,
): Omit<SloSummary, 'status'> {
  const policy = alertPolicyOf(def);
  return {
    ref: def.ref,
    entityRef,
    name: def.name,
    title: def.title,
    description: def.description,
    componentRef: def.componentRef,
    objective: def.target,
    window: formatDuration(def.window.duration),
    windowLabel: describeWindow(def.window),
    runbook: def.runbook,
    sourceType: def.indicator.sourceType,
    alertPolicy: {
      source: policy.source,
      rules: policy.rules.map(ruleId),
      noData: policy.noData,
      ...(policy.targets ? { targets: policy.targets } : {}),
    },
    labels: def.labels,
  };
}

/**
 * A summary's JSON with its status's JSON (`null` when not evaluated yet): the stored texts concatenated, nothing
 * parsed. `summary` is a JSON object's text.
 */
export function withStatus(summary: string, status: string | null): string {
  return `${summary.slice(0, -1)}${summary.length > 2 ? ',' : ''}"status":${
    status ?? 'null'
  }}`;
}

/** One item of `GET /slos`: the stored summary (or one built from the definition, for a row without) and status. */
export function itemJson(r: {
  summary: string | null;
  definition: string | null;
  status: string | null;
  entityRef: string;
}): string {
  return withStatus(
    r.summary ??
      JSON.stringify(sloSummaryOf(JSON.parse(r.definition!), r.entityRef)),
    r.status,
  );
}
