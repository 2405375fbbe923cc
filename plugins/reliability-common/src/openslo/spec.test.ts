import { resolveComponentRef } from './definition';
import { parseOpenSlo } from './parse';
import { compactToOpenSlo } from './compact';
import { okValue } from '../__testUtils__/okValue';

const valid = {
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: {
    name: 'checkout-success',
    displayName: 'Checkout success rate',
    annotations: { 'reliability.io/runbook': 'link://runbooks/checkout' },
  },
  spec: {
    service: 'checkout',
    indicator: {
      metadata: { name: 'checkout-success-sli' },
      spec: {
        ratioMetric: {
          counter: true,
          good: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
          total: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        },
      },
    },
    timeWindow: [{ duration: '30d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ targetPercent: 99.5 }],
  },
};

const clone = (o: any) => JSON.parse(JSON.stringify(o));

describe('parseOpenSlo', () => {
  it('checks metadata as the go-sdk does: RFC 1123 names, displayName up to 63, label and annotation keys (both sides)', () => {
    const meta = (m: Record<string, unknown>) => {
      const d = clone(valid);
      d.metadata = { ...d.metadata, ...m };
      return parseOpenSlo(d);
    };
    expect(meta({ name: 'checkout-success-2' }).ok).toBe(true);
    expect(
      meta({
        displayName: 'x'.repeat(63),
        labels: { 'team.name_1': 'a' },
        annotations: {
          'openslo.com/annotation': 'x',
          'my-domain.org/my-key': 'y',
          plain: 'z',
        },
      }).ok,
    ).toBe(true);
    expect(meta({ name: 'Checkout_Success' })).toEqual({
      ok: false,
      error:
        'metadata.name: metadata.name must be an RFC 1123 name: lowercase letters, digits and -, at most 63',
    });
    expect(meta({ name: 'checkout.success' }).ok).toBe(false);
    expect(meta({ displayName: 'x'.repeat(64) })).toEqual({
      ok: false,
      error:
        'metadata.displayName: metadata.displayName must be at most 63 characters',
    });
    expect(meta({ labels: { '-team': 'a' } })).toEqual({
      ok: false,
      error:
        'metadata.labels.-team: metadata.labels keys must be at most 63 letters, digits, -, _ or ., starting and ending with a letter or digit',
    });
    expect(meta({ annotations: { 'Bad_Prefix.io/key': 'x' } })).toEqual({
      ok: false,
      error:
        'metadata.annotations.Bad_Prefix.io/key: annotation keys are an optional DNS prefix and / then at most 63 letters, digits, -, _ or .',
    });
    expect(meta({ annotations: { 'a/b/c': 'x' } }).ok).toBe(false);
  });

  it('accepts what the go-sdk accepts of time windows: a rolling month, quarter or year (30, 90, 365 days), m as minutes and M as months', () => {
    const window = (tw: unknown) => {
      const d = clone(valid);
      d.spec.timeWindow = [tw];
      const r = parseOpenSlo(d);
      if (!r.ok) throw new Error(r.error);
      return r.value.window;
    };
    expect(window({ duration: '1M', isRolling: true })).toEqual({
      kind: 'rolling',
      duration: { amount: 30, unit: 'd' },
    });
    expect(window({ duration: '1Q', isRolling: true })).toEqual({
      kind: 'rolling',
      duration: { amount: 90, unit: 'd' },
    });
    expect(window({ duration: '1Y', isRolling: true })).toEqual({
      kind: 'rolling',
      duration: { amount: 365, unit: 'd' },
    });
    expect(window({ duration: '90m', isRolling: true })).toEqual({
      kind: 'rolling',
      duration: { amount: 90, unit: 'm' },
    });
    expect(
      window({
        duration: '1M',
        isRolling: false,
        calendar: {
          startTime: '2026-01-01 00:00:00',
          timeZone: 'Europe/Lisbon',
        },
      }),
    ).toEqual({
      kind: 'calendar',
      duration: { amount: 1, unit: 'M' },
      timeZone: 'Europe/Lisbon',
      startTime: '2026-01-01 00:00:00',
    });
  });

  it('reads label values written as lists of strings (joined with commas), with those the catalog moved to an annotation', () => {
    const d = clone(valid);
    d.metadata.labels = { team: ['payments', 'checkout'], env: 'prod' };
    d.metadata.annotations['reliability.io/openslo-labels'] = '{"tier":"1,2"}';
    const r = parseOpenSlo(d);
    expect(r.ok && r.value.labels).toEqual({
      tier: '1,2',
      team: 'payments,checkout',
      env: 'prod',
    });
    d.metadata.labels = { team: { name: 'payments' } };
    expect(parseOpenSlo(d)).toEqual({
      ok: false,
      error:
        'metadata.labels.team: metadata.labels values must be strings or lists of strings',
    });
  });

  it('reads a raw ratio (rawType success or failure), and refuses one without rawType or beside total, as the go-sdk does', () => {
    const raw = (ratioMetric: unknown) => {
      const d = clone(valid);
      d.spec.indicator.spec.ratioMetric = ratioMetric;
      return parseOpenSlo(d);
    };
    const prom = {
      metricSource: {
        type: 'Prometheus',
        spec: { query: 'avg_over_time(err_ratio[{{.window}}])' },
      },
    };
    const failure = raw({ counter: false, rawType: 'failure', raw: prom });
    expect(failure.ok && failure.value.indicator).toEqual({
      mode: 'raw-failure',
      sourceType: 'Prometheus',
      bad: prom.metricSource,
      total: prom.metricSource,
    });
    const success = raw({ counter: false, rawType: 'success', raw: prom });
    expect(success.ok && success.value.indicator.mode).toBe('raw-success');
    expect(raw({ counter: false, raw: prom })).toEqual({
      ok: false,
      error:
        'spec.indicator.spec.ratioMetric.rawType: ratioMetric.rawType is required with raw (success or failure)',
    });
    expect(raw({ counter: false, rawType: 'errors', raw: prom })).toEqual({
      ok: false,
      error:
        'spec.indicator.spec.ratioMetric.rawType: ratioMetric.rawType must be success or failure',
    });
    expect(
      raw({ counter: false, rawType: 'failure', raw: prom, total: prom }),
    ).toEqual({
      ok: false,
      error:
        'spec.indicator.spec.ratioMetric.raw: ratioMetric.raw goes alone: not with good, bad or total',
    });
    // the go-sdk checks rawType only beside raw: with good and total it is accepted (and means nothing)
    expect(
      raw({ counter: true, rawType: 'failure', good: prom, total: prom }).ok,
    ).toBe(true);
  });

  it('reads a rolling ratio SLO', () => {
    const r = parseOpenSlo(valid);
    expect(r).toEqual({
      ok: true,
      value: expect.objectContaining({
        ref: 'default/checkout-success',
        componentRef: 'component:default/checkout',
        target: 0.995,
        runbook: 'link://runbooks/checkout',
        title: 'Checkout success rate',
      }),
    });
    expect(okValue(r).window).toEqual({
      kind: 'rolling',
      duration: { amount: 30, unit: 'd' },
    });
  });

  it('reads a calendar window with time zone and a bad/total indicator with target', () => {
    const d = clone(valid);
    d.spec.timeWindow = [
      {
        duration: '1M',
        isRolling: false,
        calendar: {
          startTime: '2026-01-01 00:00:00',
          timeZone: 'Europe/Berlin',
        },
      },
    ];
    d.spec.objectives = [{ target: 0.999 }];
    d.spec.indicator.spec.ratioMetric = {
      counter: true,
      bad: {
        metricSource: {
          type: 'Ingest',
          spec: { endpoint: '/api/reliability/sli-events' },
        },
      },
      total: {
        metricSource: {
          type: 'Ingest',
          spec: { endpoint: '/api/reliability/sli-events' },
        },
      },
    };
    const v = okValue(parseOpenSlo(d));
    expect(v.window).toEqual({
      kind: 'calendar',
      duration: { amount: 1, unit: 'M' },
      timeZone: 'Europe/Berlin',
      startTime: '2026-01-01 00:00:00',
    });
    expect(v.indicator.mode).toBe('bad-total');
    expect(v.target).toBe(0.999);
  });

  it('accepts what the go-sdk accepts: thresholds, time slices, a target of 0', () => {
    const threshold = clone(valid);
    threshold.spec.indicator.spec = {
      thresholdMetric: {
        metricSource: {
          type: 'Prometheus',
          spec: {
            query:
              'histogram_quantile(0.95, sum by (le) (rate(x_bucket[{{window}}])))',
          },
        },
      },
    };
    threshold.spec.budgetingMethod = 'Timeslices';
    threshold.spec.objectives = [
      {
        op: 'lte',
        value: 300,
        target: 0.99,
        timeSliceTarget: 1,
        timeSliceWindow: '1m',
      },
    ];
    const t = okValue(parseOpenSlo(threshold));
    expect(t.indicator.mode).toBe('threshold');
    expect(t.threshold).toEqual({ op: 'lte', value: 300 });
    expect(t.budgeting).toEqual({
      method: 'Timeslices',
      sliceMs: 60_000,
      timeSliceTarget: 1,
    });
    const ratioSlices = clone(valid);
    ratioSlices.spec.budgetingMethod = 'RatioTimeslices';
    ratioSlices.spec.objectives = [{ target: 0.95, timeSliceWindow: '5m' }];
    const r = parseOpenSlo(ratioSlices);
    expect(r.ok && r.value.budgeting).toEqual({
      method: 'RatioTimeslices',
      sliceMs: 300_000,
    });
    const occurrencesThreshold = clone(threshold);
    occurrencesThreshold.spec.budgetingMethod = 'Occurrences';
    occurrencesThreshold.spec.objectives = [{ op: 'gt', value: 0, target: 0 }];
    const o = parseOpenSlo(occurrencesThreshold);
    expect(o.ok && [o.value.budgeting, o.value.target]).toEqual([undefined, 0]);
    // RatioTimeslices over a threshold: each slice counts as the share of its values that meet it
    const ratioOfThreshold = clone(threshold);
    ratioOfThreshold.spec.budgetingMethod = 'RatioTimeslices';
    ratioOfThreshold.spec.objectives = [
      { op: 'lte', value: 300, target: 0.99, timeSliceWindow: '1m' },
    ];
    const rt = parseOpenSlo(ratioOfThreshold);
    expect(rt.ok && rt.value.budgeting).toEqual({
      method: 'RatioTimeslices',
      sliceMs: 60_000,
    });
    expect(
      parseOpenSlo({
        ...clone(valid),
        spec: { ...clone(valid).spec, description: 'd'.repeat(1050) },
      }).ok,
    ).toBe(true);
    // slice fields under Occurrences: the go-sdk does not look at them, and they change nothing
    const occurrencesWithSlices = clone(valid);
    Object.assign(occurrencesWithSlices.spec.objectives[0], {
      timeSliceTarget: 0.9,
      timeSliceWindow: '1m',
    });
    const os = parseOpenSlo(occurrencesWithSlices);
    expect(os.ok && os.value.budgeting).toBeUndefined();
  });

  it.each([
    [
      'Timeslices budgeting without its slice target',
      (d: any) => {
        d.spec.budgetingMethod = 'Timeslices';
        d.spec.objectives[0].timeSliceWindow = '1m';
      },
      /spec\.objectives\.0\.timeSliceTarget: timeSliceTarget is required with budgetingMethod Timeslices/,
    ],
    [
      'Timeslices budgeting without its slice window',
      (d: any) => {
        d.spec.budgetingMethod = 'Timeslices';
        d.spec.objectives[0].timeSliceTarget = 0.9;
      },
      /spec\.objectives\.0\.timeSliceWindow: timeSliceWindow is required with budgetingMethod Timeslices/,
    ],
    [
      'RatioTimeslices budgeting without its slice window',
      (d: any) => {
        d.spec.budgetingMethod = 'RatioTimeslices';
      },
      /spec\.objectives\.0\.timeSliceWindow: timeSliceWindow is required with budgetingMethod RatioTimeslices/,
    ],
    [
      'a slice target above 1',
      (d: any) => {
        d.spec.budgetingMethod = 'Timeslices';
        Object.assign(d.spec.objectives[0], {
          timeSliceWindow: '1m',
          timeSliceTarget: 1.5,
        });
      },
      /spec\.objectives\.0\.timeSliceTarget: timeSliceTarget must be <= 1/,
    ],
    [
      'a slice window in seconds',
      (d: any) => {
        d.spec.budgetingMethod = 'RatioTimeslices';
        d.spec.objectives[0].timeSliceWindow = '60s';
      },
      /spec\.objectives\.0\.timeSliceWindow: timeSliceWindow takes OpenSLO units/,
    ],
    [
      'an unknown budgeting method',
      (d: any) => {
        d.spec.budgetingMethod = 'Minutes';
      },
      /spec\.budgetingMethod: budgetingMethod must be Occurrences, Timeslices or RatioTimeslices/,
    ],
    [
      'an unknown op on a ratio objective',
      (d: any) => {
        d.spec.objectives[0].op = 'above';
      },
      /spec\.objectives\.0\.op: op must be one of lt, lte, gt or gte/,
    ],
    [
      'a threshold objective without op',
      (d: any) => {
        d.spec.indicator.spec = {
          thresholdMetric: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        };
        d.spec.objectives[0].value = 300;
      },
      /spec\.objectives\.0\.op: op is required with a thresholdMetric/,
    ],
    [
      'a threshold objective without value',
      (d: any) => {
        d.spec.indicator.spec = {
          thresholdMetric: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        };
        d.spec.objectives[0].op = 'lte';
      },
      /spec\.objectives\.0\.value: value is required with a thresholdMetric/,
    ],
    [
      'an unknown op',
      (d: any) => {
        d.spec.indicator.spec = {
          thresholdMetric: {
            metricSource: {
              type: 'Ingest',
              spec: { endpoint: '/api/reliability/sli-events' },
            },
          },
        };
        Object.assign(d.spec.objectives[0], { op: 'le', value: 300 });
      },
      /spec\.objectives\.0\.op: op must be one of lt, lte, gt or gte/,
    ],
    [
      'both a ratio and a threshold metric',
      (d: any) => {
        d.spec.indicator.spec.thresholdMetric = {
          metricSource: {
            type: 'Ingest',
            spec: { endpoint: '/api/reliability/sli-events' },
          },
        };
      },
      /spec\.indicator\.spec\.ratioMetric: an indicator has exactly one of ratioMetric or thresholdMetric/,
    ],
    [
      'neither a ratio nor a threshold metric',
      (d: any) => {
        d.spec.indicator.spec = {};
      },
      /spec\.indicator\.spec\.ratioMetric: an indicator has exactly one of ratioMetric or thresholdMetric/,
    ],
    [
      'a description over 1050 characters',
      (d: any) => {
        d.spec.description = 'd'.repeat(1051);
      },
      /spec\.description: spec\.description must be at most 1050 characters/,
    ],
    [
      'a target of 1 (the go-sdk wants less)',
      (d: any) => {
        d.spec.objectives = [{ target: 1 }];
      },
      /spec\.objectives\.0\.target: target must be < 1/,
    ],
    [
      'a targetPercent of 100',
      (d: any) => {
        d.spec.objectives = [{ targetPercent: 100 }];
      },
      /spec\.objectives\.0\.targetPercent: targetPercent must be < 100/,
    ],
    [
      'an indicatorRef',
      (d: any) => {
        d.spec.indicatorRef = 'checkout-sli';
      },
      /spec\.indicatorRef: names the SLI document checkout-sli, which was not put in place/,
    ],
    [
      'an alert policy reference',
      (d: any) => {
        d.spec.alertPolicies = [{ alertPolicyRef: 'fast-burn' }];
      },
      /spec\.alertPolicies\.0\.kind: must be AlertPolicy, or an alertPolicyRef to an AlertPolicy document/,
    ],
    [
      'a target above 1',
      (d: any) => {
        d.spec.objectives = [{ target: 99.5 }];
      },
      /spec\.objectives\.0\.target: target must be < 1/,
    ],
    [
      'both target and targetPercent',
      (d: any) => {
        d.spec.objectives = [{ target: 0.9, targetPercent: 90 }];
      },
      /exactly one of target or targetPercent/,
    ],
    [
      'good and bad together',
      (d: any) => {
        d.spec.indicator.spec.ratioMetric.bad = {
          metricSource: { type: 'Ingest', spec: { endpoint: 'x' } },
        };
      },
      /ratioMetric\.good: ratioMetric needs exactly one of good or bad/,
    ],
    [
      'a metric source without spec',
      (d: any) => {
        delete d.spec.indicator.spec.ratioMetric.good.metricSource.spec;
      },
      /spec\.indicator\.spec\.ratioMetric\.good\.metricSource\.spec: metricSource\.spec is required, as OpenSLO's go-sdk requires/,
    ],
    [
      'a metric source with an empty spec',
      (d: any) => {
        d.spec.indicator.spec.ratioMetric.total.metricSource.spec = {};
      },
      /spec\.indicator\.spec\.ratioMetric\.total\.metricSource\.spec: metricSource\.spec must hold at least one field/,
    ],
    [
      'a metricSourceRef that is no RFC 1123 name',
      (d: any) => {
        d.spec.indicator.spec.ratioMetric.total.metricSource.metricSourceRef =
          'Main Prometheus';
      },
      /metricSource\.metricSourceRef: metricSource\.metricSourceRef must be an RFC 1123 name/,
    ],
    [
      'a bad duration',
      (d: any) => {
        d.spec.timeWindow = [{ duration: '30 days' }];
      },
      /spec\.timeWindow\.0\.duration: timeWindow\.duration must be a duration/,
    ],
    [
      'a rolling window with a calendar',
      (d: any) => {
        d.spec.timeWindow = [
          {
            duration: '28d',
            isRolling: true,
            calendar: { startTime: '2026-01-01 00:00:00', timeZone: 'UTC' },
          },
        ];
      },
      /spec\.timeWindow\.0\.calendar: calendar cannot be set when isRolling is true/,
    ],
    [
      'a window without isRolling nor calendar',
      (d: any) => {
        d.spec.timeWindow = [{ duration: '28d' }];
      },
      /spec\.timeWindow\.0\.calendar: calendar must be set when isRolling is false \(or missing\)/,
    ],
    [
      'a window in seconds',
      (d: any) => {
        d.spec.timeWindow = [{ duration: '86400s', isRolling: true }];
      },
      /spec\.timeWindow\.0\.duration: timeWindow\.duration takes OpenSLO units: m, h, d, w, M, Q or Y/,
    ],
    [
      'a calendar without its start',
      (d: any) => {
        d.spec.timeWindow = [
          { duration: '1M', isRolling: false, calendar: { timeZone: 'UTC' } },
        ];
      },
      /spec\.timeWindow\.0\.calendar\.startTime: calendar\.startTime is required/,
    ],
    [
      'a start in another format',
      (d: any) => {
        d.spec.timeWindow = [
          {
            duration: '1M',
            isRolling: false,
            calendar: { startTime: '2026-01-01T00:00:00Z', timeZone: 'UTC' },
          },
        ];
      },
      /calendar\.startTime must be a date and time such as 2026-01-01 00:00:00/,
    ],
    [
      'an unknown time zone',
      (d: any) => {
        d.spec.timeWindow = [
          {
            duration: '1M',
            isRolling: false,
            calendar: { timeZone: 'Mars/Olympus' },
          },
        ];
      },
      /calendar\.timeZone must be an IANA time zone/,
    ],
    [
      'a missing service',
      (d: any) => {
        delete d.spec.service;
      },
      /spec\.service: Required/,
    ],
    [
      'the wrong kind',
      (d: any) => {
        d.kind = 'SLI';
      },
      /kind: kind must be SLO/,
    ],
  ])('rejects %s naming the field', (_what, mutate, message) => {
    const d = clone(valid);
    mutate(d);
    expect(parseOpenSlo(d)).toEqual({
      ok: false,
      error: expect.stringMatching(message),
    });
  });
});

describe('resolveComponentRef', () => {
  it('defaults kind and namespace and lets the annotation win', () => {
    expect(resolveComponentRef('checkout', 'default')).toBe(
      'component:default/checkout',
    );
    expect(resolveComponentRef('payments/checkout', 'default')).toBe(
      'component:payments/checkout',
    );
    expect(
      resolveComponentRef('checkout', 'default', 'component:shop/Checkout-API'),
    ).toBe('component:shop/checkout-api');
  });
});

describe('compactToOpenSlo', () => {
  const seed = `
slo: { id: checkout_success, objective: ">=99.5%", window: 30d }
sli: { numerator: { metric: 'checkout_success_count{region="$region"}' },
       denominator: { metric: 'checkout_attempt_count{region="$region"}' } }
alerts: [ { burn_rate: 14x, windows: [5m, 30m] }, { burn_rate: 6x, windows: [1h, 6h] } ]
runbook: "link://runbooks/checkout"
`;
  it('converts the seed example into a valid OpenSLO document', () => {
    const r = compactToOpenSlo(seed, { service: 'checkout' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.metadata).toEqual({
      name: 'checkout-success',
      namespace: 'default',
      annotations: {
        'reliability.io/runbook': 'link://runbooks/checkout',
        'reliability.io/burn-rate-alerts': '14x:5m,30m;6x:1h,6h',
      },
    });
    expect(r.value.spec.indicator.spec.ratioMetric.good.metricSource).toEqual({
      type: 'Prometheus',
      spec: { query: 'checkout_success_count{region="$region"}' },
    });
    const def = parseOpenSlo(r.value);
    expect(def.ok && def.value.target).toBe(0.995);
    expect(def.ok && def.value.window).toEqual({
      kind: 'rolling',
      duration: { amount: 30, unit: 'd' },
    });
  });

  it.each([
    [
      `slo: { id: x, objective: "<=300ms", window: 7d }\nsli: { numerator: { metric: a }, denominator: { metric: b } }`,
      /slo\.objective: slo\.objective must be a success ratio/,
    ],
    [
      `slo: { id: x, objective: ">=99%", window: month }\nsli: { numerator: { metric: a }, denominator: { metric: b } }`,
      /slo\.window: slo\.window must be a duration/,
    ],
    [`slo: { id: x, objective: ">=99%", window: 7d }`, /sli: Required/],
    [`slo: [`, /not valid YAML/],
  ])('rejects %p', (text, message) => {
    expect(compactToOpenSlo(text, { service: 'x' })).toEqual({
      ok: false,
      error: expect.stringMatching(message),
    });
  });
});
