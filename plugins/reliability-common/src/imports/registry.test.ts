import { buildOpenSlo } from '../openslo/build';
import { parseSloRegistry, sloRegistryInput } from './registry';

describe('the SLO registry', () => {
  it("reads the seed's rows: ratios, a latency percentile under a threshold, names in OpenSLO's form", () => {
    const parsed = parseSloRegistry(
      'slo_id,description,objective,window,owner\ncheckout_success,Checkout success rate,>=99.5%,30d,Payments SRE\notp_verify_latency_p95,p95 ms for /otp/verify,<=300ms,7d,Identity SRE\nsearch.ttfr,"P99.9 of search, first result",< 0.5s,1M,Platform SRE\n',
    );
    expect(parsed).toEqual({
      errors: [],
      rows: [
        {
          line: 2,
          sloId: 'checkout_success',
          name: 'checkout-success',
          description: 'Checkout success rate',
          objective: { kind: 'ratio', percent: 99.5 },
          window: '30d',
          owner: 'Payments SRE',
        },
        {
          line: 3,
          sloId: 'otp_verify_latency_p95',
          name: 'otp-verify-latency-p95',
          description: 'p95 ms for /otp/verify',
          objective: {
            kind: 'latency',
            thresholdSeconds: 0.3,
            percentile: 95,
            op: 'lte',
            unit: 'ms',
          },
          window: '7d',
          owner: 'Identity SRE',
        },
        {
          line: 4,
          sloId: 'search.ttfr',
          name: 'search-ttfr',
          description: 'P99.9 of search, first result',
          objective: {
            kind: 'latency',
            thresholdSeconds: 0.5,
            percentile: 99.9,
            op: 'lt',
            unit: 's',
          },
          window: '1M',
          owner: 'Platform SRE',
        },
      ],
    });
  });

  it('reports every bad row with its line and field', () => {
    const parsed = parseSloRegistry(
      'slo_id,description,objective,window,owner\nBAD ID,x,>=99%,30d,a\nok,x,>=99.5,30d,a\nlat,x,<=300us,7d,a\nlat2,no percentile,<=300ms,7d,a\nw,x,99%,thirty days,\n',
    );
    expect(parsed).toEqual({
      rows: [],
      errors: [
        {
          line: 2,
          field: 'slo_id',
          message:
            "'BAD ID' must be letters, digits, - and _ (at most 63), such as checkout_success",
        },
        {
          line: 3,
          field: 'objective',
          message:
            "'>=99.5' must be a success ratio such as >=99.5% or a latency such as <=300ms",
        },
        {
          line: 4,
          field: 'objective',
          message: "'<=300us' must be a latency such as <=300ms or <=1s",
        },
        {
          line: 5,
          field: 'objective',
          message:
            'a latency objective needs its percentile: write it in the description or the slo_id, such as p95',
        },
        {
          line: 6,
          field: 'window',
          message: "'thirty days' must be a duration such as 30d, 4w or 1M",
        },
        {
          line: 6,
          field: 'owner',
          message:
            'is required: the group that owns the SLO, such as Payments SRE',
        },
      ],
    });
    expect(parseSloRegistry('slo,objective\n')).toEqual({
      rows: [],
      errors: [
        {
          line: 1,
          message:
            'the header must have the columns slo_id, description, window, owner (it has slo,objective)',
        },
      ],
    });
  });

  it("builds a document the catalog accepts, with no alert policy of its own: <=300ms is the seed's threshold SLO, p95 <= 300 ms in 99% of the minutes", () => {
    const parsed = parseSloRegistry(
      'slo_id,description,objective,window,owner\notp_verify_latency_p95,p95 ms for /otp/verify,<=300ms,7d,Identity SRE\n',
    );
    expect(parsed.errors).toEqual([]);
    const built = buildOpenSlo(
      sloRegistryInput(parsed.rows[0], 'component:default/login-otp'),
    );
    expect(built.ok && built.definition).toMatchObject({
      ref: 'default/otp-verify-latency-p95',
      componentRef: 'component:default/login-otp',
      target: 0.99,
      indicator: { mode: 'threshold', sourceType: 'Ingest' },
      threshold: { op: 'lte', value: 300 },
      budgeting: { method: 'Timeslices', sliceMs: 60_000, timeSliceTarget: 1 },
    });
    expect(built.ok && built.doc.spec).toMatchObject({
      budgetingMethod: 'Timeslices',
      objectives: [
        {
          op: 'lte',
          value: 300,
          targetPercent: 99,
          timeSliceTarget: 1,
          timeSliceWindow: '1m',
        },
      ],
    });
    expect(built.ok && built.definition.alertPolicy).toBeUndefined();
  });
  it("reads a latency row's Prometheus histogram: histogram_quantile over its buckets, the threshold in the histogram's unit", () => {
    const parsed = parseSloRegistry(
      'slo_id,description,objective,window,owner,histogram,selector,instance\notp_verify_latency_p95,p95 ms for /otp/verify,<=300ms,7d,Identity SRE,request_duration_ms,"route=""/otp/verify""",main\n',
    );
    expect(parsed.errors).toEqual([]);
    const built = buildOpenSlo(
      sloRegistryInput(parsed.rows[0], 'component:default/login-otp'),
    );
    if (!built.ok) throw new Error(built.error);
    expect(built.definition.indicator).toMatchObject({
      mode: 'threshold',
      sourceType: 'Prometheus',
      total: {
        metricSourceRef: 'main',
        spec: {
          query:
            'histogram_quantile(0.95, sum by (le) (rate(request_duration_ms_bucket{route="/otp/verify"}[{{.window}}])))',
        },
      },
    });
    expect([built.definition.target, built.definition.threshold]).toEqual([
      0.99,
      { op: 'lte', value: 300 },
    ]);
    // a histogram in seconds takes the threshold in seconds
    const seconds = parseSloRegistry(
      'slo_id,description,objective,window,owner,histogram\napi_p99,p99 of the API,<=1500ms,30d,Platform SRE,http_request_duration_seconds\n',
    );
    const b2 = buildOpenSlo(
      sloRegistryInput(seconds.rows[0], 'component:default/api-gateway'),
    );
    expect(b2.ok && b2.definition.indicator.total).toMatchObject({
      spec: {
        query:
          'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[{{.window}}])))',
      },
    });
    expect(b2.ok && b2.definition.threshold).toEqual({ op: 'lte', value: 1.5 });
  });

  it('refuses a histogram on a ratio row, a selector without a histogram, and a bad metric name', () => {
    const parsed = parseSloRegistry(
      'slo_id,description,objective,window,owner,histogram,selector,instance\na,x,>=99%,30d,o,http_requests,,\nb,p95,<=1s,7d,o,,route="/x",\nc,p95,<=1s,7d,o,bad-name{},,\n',
    );
    expect(parsed.errors).toEqual([
      {
        line: 2,
        field: 'histogram',
        message: 'only latency rows (<=300ms) read histogram buckets',
      },
      { line: 3, field: 'selector', message: 'goes with a histogram' },
      {
        line: 4,
        field: 'histogram',
        message:
          "'bad-name{}' must be a metric name such as request_duration_ms (without _bucket)",
      },
    ]);
  });
});
