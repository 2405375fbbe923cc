import { parseOpenSlo } from './parse';
import {
  OpenSloLookup,
  resolveSloReferences,
  validateOpenSloKind,
} from './kinds';

const doc = (kind: string, name: string, spec: Record<string, unknown>) => ({
  apiVersion: 'openslo/v1',
  kind,
  metadata: { name },
  spec,
});

const sli = doc('SLI', 'checkout-errors', {
  ratioMetric: {
    counter: true,
    bad: {
      metricSource: {
        type: 'Prometheus',
        spec: {
          query: 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
        },
      },
    },
    total: {
      metricSource: {
        type: 'Prometheus',
        spec: { query: 'sum(rate(http_requests_total[{{.window}}]))' },
      },
    },
  },
});
const fastBurn = doc('AlertCondition', 'fast-burn', {
  severity: 'page',
  condition: {
    kind: 'burnrate',
    op: 'gte',
    threshold: 14.4,
    lookbackWindow: '1h',
    alertAfter: '2m',
  },
});
const slack = doc('AlertNotificationTarget', 'payments-slack', {
  target: 'slack:#payments-oncall',
  description: 'the on-call channel',
});
const policy = doc('AlertPolicy', 'page-on-fast-burn', {
  alertWhenBreaching: true,
  conditions: [{ conditionRef: 'fast-burn' }],
  notificationTargets: [{ targetRef: 'payments-slack' }],
});
const byKind: Record<string, any[]> = {
  SLI: [sli],
  AlertCondition: [fastBurn],
  AlertNotificationTarget: [slack],
  AlertPolicy: [policy],
};
const lookup: OpenSloLookup = async (kind, name, namespace) =>
  namespace === 'default'
    ? byKind[kind]?.find(d => d.metadata.name === name)
    : undefined;

const slo = (spec: Record<string, unknown>) => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: { name: 'checkout-availability', namespace: 'default' },
  spec: {
    service: 'checkout',
    timeWindow: [{ duration: '28d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ target: 0.999 }],
    ...spec,
  },
});

describe("OpenSLO's referenced kinds", () => {
  it('validates each kind as a document of its own, naming the field on both sides', () => {
    for (const d of [
      sli,
      fastBurn,
      slack,
      policy,
      doc('DataSource', 'prometheus-main', {
        type: 'Prometheus',
        connectionDetails: { instance: 'main' },
      }),
      doc('Service', 'checkout', { description: 'Takes payments' }),
    ]) {
      expect([d.kind, validateOpenSloKind(d)]).toEqual([
        d.kind,
        { ok: true, value: true },
      ]);
    }
    expect(
      validateOpenSloKind(doc('SLI', 'Checkout_Errors', sli.spec)),
    ).toEqual({
      ok: false,
      error:
        'metadata.name: metadata.name must be an RFC 1123 name: lowercase letters, digits and -, at most 63',
    });
    expect(
      validateOpenSloKind(
        doc('SLI', 'both', {
          ...sli.spec,
          thresholdMetric: {
            metricSource: { type: 'Prometheus', spec: { query: 'x' } },
          },
        }),
      ),
    ).toEqual({
      ok: false,
      error:
        'spec.ratioMetric: an SLI has exactly one of ratioMetric or thresholdMetric',
    });
    expect(
      validateOpenSloKind(doc('DataSource', 'prom', { type: 'Prometheus' })),
    ).toEqual({
      ok: false,
      error: 'spec.connectionDetails: connectionDetails is required',
    });
    expect(
      validateOpenSloKind(
        doc('AlertNotificationTarget', 'x', { description: 'y' }),
      ),
    ).toEqual({ ok: false, error: 'spec.target: target is required' });
    expect(
      validateOpenSloKind(
        doc('AlertCondition', 'x', {
          severity: 'page',
          condition: {
            kind: 'burnrate',
            op: 'above',
            threshold: 2,
            lookbackWindow: '1h',
          },
        }),
      ),
    ).toEqual({
      ok: false,
      error: 'spec.condition.op: condition.op must be lt, lte, gt or gte',
    });
    expect(
      validateOpenSloKind(
        doc('AlertPolicy', 'x', {
          conditions: [],
          notificationTargets: [{ targetRef: 'payments-slack' }],
        }),
      ),
    ).toEqual({
      ok: false,
      error:
        "spec.conditions: conditions holds exactly one condition, as OpenSLO's go-sdk requires: write one AlertPolicy per condition",
    });
    expect(
      validateOpenSloKind(
        doc('AlertPolicy', 'x', {
          conditions: [
            { conditionRef: 'fast-burn' },
            { conditionRef: 'slow-burn' },
          ],
          notificationTargets: [{ targetRef: 'payments-slack' }],
        }),
      ).ok,
    ).toBe(false);
    expect(
      validateOpenSloKind(
        doc('AlertPolicy', 'x', {
          conditions: [{ conditionRef: 'fast-burn' }],
        }),
      ),
    ).toEqual({
      ok: false,
      error:
        "spec.notificationTargets: notificationTargets is required, as OpenSLO's go-sdk requires: at least one AlertNotificationTarget",
    });
    expect(
      validateOpenSloKind(
        doc('Service', 'x', { description: 'd'.repeat(1051) }),
      ),
    ).toEqual({
      ok: false,
      error: 'spec.description: description must be at most 1050 characters',
    });
  });

  it('puts an indicatorRef, an alertPolicyRef, its conditionRef and targetRef in place; the SLO then evaluates as if written inline', async () => {
    const r = await resolveSloReferences(
      slo({
        indicatorRef: 'checkout-errors',
        alertPolicies: [{ alertPolicyRef: 'page-on-fast-burn' }],
      }),
      lookup,
    );
    if (!r.ok) throw new Error(r.error);
    expect(
      r.value.references.map(x => `${x.kind} ${x.name} ${x.field}`),
    ).toEqual([
      'SLI checkout-errors spec.indicatorRef',
      'AlertPolicy page-on-fast-burn spec.alertPolicies.0.alertPolicyRef',
      'AlertCondition fast-burn spec.alertPolicies.0.spec.conditions.0.conditionRef',
      'AlertNotificationTarget payments-slack spec.alertPolicies.0.spec.notificationTargets.0.targetRef',
    ]);
    expect(r.value.doc.spec.indicatorRef).toBeUndefined();
    const def = parseOpenSlo(r.value.doc);
    if (!def.ok) throw new Error(def.error);
    expect(def.value.indicator).toMatchObject({
      mode: 'bad-total',
      sourceType: 'Prometheus',
    });
    expect(def.value.alertPolicy).toEqual({
      source: 'openslo',
      rules: [
        {
          severity: 'page',
          burnRate: 14.4,
          longWindow: '1h',
          shortWindow: '5m',
          name: 'fast-burn',
          pendingMs: 120_000,
        },
      ],
      noData: true,
      targets: [{ name: 'payments-slack', target: 'slack:#payments-oncall' }],
    });
  });

  it('puts a DataSource in place of a metricSourceRef: its type and the configured instance it names, never its credentials', async () => {
    const prometheus = doc('DataSource', 'prometheus-eu', {
      type: 'Prometheus',
      connectionDetails: {
        instance: 'main',
        url: 'http://user:secret@prom.internal:9090',
        bearerToken: 'secret',
      },
    });
    const withSources: OpenSloLookup = async (kind, name, namespace) =>
      kind === 'DataSource' && name === 'prometheus-eu'
        ? prometheus
        : lookup(kind, name, namespace);
    const ref = {
      metricSource: {
        metricSourceRef: 'prometheus-eu',
        spec: { query: 'sum(rate(http_requests_total[{{.window}}]))' },
      },
    };
    const plain = {
      metricSource: {
        metricSourceRef: 'main',
        type: 'Prometheus',
        spec: { query: 'sum(rate(http_requests_ok_total[{{.window}}]))' },
      },
    };
    const r = await resolveSloReferences(
      slo({
        indicator: {
          spec: { ratioMetric: { counter: true, good: plain, total: ref } },
        },
      }),
      withSources,
    );
    if (!r.ok) throw new Error(r.error);
    expect(
      r.value.doc.spec.indicator.spec.ratioMetric.total.metricSource,
    ).toEqual({
      type: 'Prometheus',
      spec: {
        query: 'sum(rate(http_requests_total[{{.window}}]))',
        instance: 'main',
      },
    });
    // a name that is no DataSource document names a configured instance directly, as before
    expect(r.value.doc.spec.indicator.spec.ratioMetric.good).toEqual(plain);
    expect(JSON.stringify(r.value.doc)).not.toContain('secret');
    expect(r.value.references).toEqual([
      {
        kind: 'DataSource',
        name: 'prometheus-eu',
        namespace: 'default',
        field:
          'spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef',
      },
    ]);
    const def = parseOpenSlo(r.value.doc);
    expect(def.ok && def.value.indicator.total).toEqual({
      type: 'Prometheus',
      spec: {
        query: 'sum(rate(http_requests_total[{{.window}}]))',
        instance: 'main',
      },
    });
  });

  it('refuses a dangling reference naming the field and the missing name', async () => {
    expect(
      await resolveSloReferences(slo({ indicatorRef: 'nope' }), lookup),
    ).toEqual({
      ok: false,
      error: 'spec.indicatorRef: no SLI named nope in namespace default',
    });
    const policies = [
      {
        kind: 'AlertPolicy',
        metadata: { name: 'p' },
        spec: { conditions: [{ conditionRef: 'slow-burn' }] },
      },
    ];
    expect(
      await resolveSloReferences(
        slo({ indicator: sli, alertPolicies: policies }),
        lookup,
      ),
    ).toEqual({
      ok: false,
      error:
        'spec.alertPolicies.0.spec.conditions.0.conditionRef: no AlertCondition named slow-burn in namespace default',
    });
    expect(
      await resolveSloReferences(
        slo({ indicatorRef: 'checkout-errors', indicator: sli }),
        lookup,
      ),
    ).toEqual({
      ok: false,
      error: 'spec.indicatorRef: give indicator or indicatorRef, not both',
    });
    // another namespace's documents are not seen
    expect(
      await resolveSloReferences(
        {
          ...slo({ indicatorRef: 'checkout-errors' }),
          metadata: { name: 'x', namespace: 'payments' },
        },
        lookup,
      ),
    ).toEqual({
      ok: false,
      error:
        'spec.indicatorRef: no SLI named checkout-errors in namespace payments',
    });
  });
});
