import { parse } from 'yaml';
import { buildOpenSlo, parseOpenSlo, sloInputFromForm } from '..';

describe('buildOpenSlo', () => {
  it('writes an availability SLO from the ingest with the workbook policy, valid for the catalog', () => {
    const r = buildOpenSlo({
      name: 'inventory-availability',
      component: 'component:default/inventory',
      sli: { type: 'availability' },
      objectivePercent: 99.9,
      runbook: 'https://runbooks.example/inventory',
    });
    if (!r.ok) throw new Error(r.error);
    const back = parseOpenSlo(parse(r.yaml));
    expect(back.ok && back.value).toMatchObject({
      ref: 'default/inventory-availability',
      componentRef: 'component:default/inventory',
      target: 0.999,
      runbook: 'https://runbooks.example/inventory',
      window: { kind: 'rolling' },
    });
    expect(
      back.ok &&
        back.value.alertPolicy?.rules.map(
          x => `${x.severity} ${x.burnRate}x ${x.longWindow}&${x.shortWindow}`,
        ),
    ).toEqual([
      'page 14.4x 1h&5m',
      'page 6x 6h&30m',
      'ticket 3x 1d&2h',
      'ticket 1x 3d&6h',
    ]);
    expect(r.definition.indicator.sourceType).toBe('Ingest');
  });

  it('writes latency from a Prometheus histogram, a synthetic journey, and custom rows on a calendar window', () => {
    const latency = buildOpenSlo({
      name: 'checkout-latency',
      component: 'component:default/checkout',
      sli: {
        type: 'latency',
        histogram: 'http_request_duration_seconds',
        selector: 'route="checkout"',
        thresholdSeconds: 0.3,
      },
      source: { type: 'prometheus', instance: 'main' },
      objectivePercent: 95,
      window: { duration: '1M', type: 'calendar', timeZone: 'Europe/Berlin' },
      alerting: {
        policy: 'custom',
        rows: [{ severity: 'page', burnRate: 10, window: '1h' }],
      },
    });
    if (!latency.ok) throw new Error(latency.error);
    expect(latency.definition.indicator.good).toEqual({
      metricSourceRef: 'main',
      type: 'Prometheus',
      spec: {
        query:
          'http_request_duration_seconds_bucket{route="checkout",le="0.3"}',
      },
    });
    expect(latency.definition.indicator.total).toEqual({
      metricSourceRef: 'main',
      type: 'Prometheus',
      spec: { query: 'http_request_duration_seconds_count{route="checkout"}' },
    });
    expect(latency.definition.window).toMatchObject({
      kind: 'calendar',
      timeZone: 'Europe/Berlin',
    });
    expect(latency.definition.alertPolicy?.rules).toEqual([
      {
        severity: 'page',
        burnRate: 10,
        longWindow: '1h',
        shortWindow: '5m',
        name: 'page-10x-1h',
      },
    ]);
    const synthetic = buildOpenSlo({
      name: 'checkout-journey-2',
      component: 'component:payments/checkout',
      sli: { type: 'synthetic', journey: 'checkout_full' },
      objectivePercent: 99.5,
    });
    if (!synthetic.ok) throw new Error(synthetic.error);
    expect([
      synthetic.definition.indicator.sourceType,
      synthetic.definition.indicator.total,
      synthetic.definition.componentRef,
    ]).toEqual([
      'Synthetic',
      { type: 'Synthetic', spec: { journey: 'checkout_full' } },
      'component:payments/checkout',
    ]);
  });

  it('names the field of bad input', () => {
    const bad = (input: object) => {
      const r = buildOpenSlo(input);
      return r.ok ? 'ok' : r.error;
    };
    const base = {
      name: 'a',
      component: 'component:default/a',
      sli: { type: 'availability' },
      objectivePercent: 99,
    };
    expect(bad({ ...base, name: 'Checkout SLO' })).toBe(
      'name: must be lowercase letters, digits and - (RFC 1123, at most 63), such as checkout-availability',
    );
    expect(bad({ ...base, objectivePercent: 100 })).toBe(
      'objectivePercent: must be below 100 (100% leaves no budget)',
    );
    expect(bad({ ...base, component: 'checkout' })).toBe(
      'component: must be an entity ref such as component:default/checkout',
    );
    expect(bad({ ...base, source: { type: 'prometheus' } })).toBe(
      'sli.goodQuery and sli.totalQuery: are required for a Prometheus source',
    );
    expect(
      bad({
        ...base,
        sli: { type: 'latency', thresholdSeconds: 0.3 },
        source: { type: 'prometheus' },
      }),
    ).toBe('sli.histogram: is required for a Prometheus source');
    expect(bad({ ...base, window: { duration: 'forever' } })).toBe(
      'window.duration: must be a duration such as 30d, 4w or 1M',
    );
    expect(
      bad({
        ...base,
        alerting: {
          policy: 'custom',
          rows: [{ severity: 'page', burnRate: 10, window: '4h' }],
        },
      }),
    ).toBe(
      'alerting.rows.0.window: must be one of 5m, 30m, 1h, 2h, 6h, 1d, 3d',
    );
  });
});

describe('sloInputFromForm', () => {
  it("maps the New SLO template's form, keeping only the chosen SLI's fields", () => {
    const form = {
      component: 'component:default/checkout',
      name: 'x',
      displayName: '',
      sliType: 'latency',
      source: 'ingest',
      thresholdSeconds: 0.3,
      histogram: 'h',
      journey: 'stale',
      objectivePercent: 99,
      windowDuration: '7d',
      windowType: 'rolling',
      alertPolicy: 'workbook',
      rows: [{}],
    };
    expect(sloInputFromForm(form)).toEqual({
      name: 'x',
      component: 'component:default/checkout',
      objectivePercent: 99,
      sli: { type: 'latency', thresholdSeconds: 0.3 },
      source: { type: 'ingest' },
      window: { duration: '7d', type: 'rolling' },
      alerting: { policy: 'workbook' },
    });
    const r = buildOpenSlo(sloInputFromForm({ ...form, source: 'prometheus' }));
    expect(r.ok && r.definition.indicator.total).toEqual({
      type: 'Prometheus',
      spec: { query: 'h_count' },
    });
  });
});
