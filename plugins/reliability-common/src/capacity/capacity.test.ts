import { readFileSync } from 'fs';
import path from 'path';
import {
  CapacityRun,
  capacityVerdict,
  capacityWarnings,
  latencyTargetMs,
  readK6Summary,
} from './capacity';

const fixture = (name: string) =>
  JSON.parse(readFileSync(path.join(__dirname, '__fixtures__', name), 'utf8'));
const run = (over: Partial<CapacityRun>): CapacityRun => ({
  id: 1,
  entityRef: 'component:default/checkout',
  testType: 'stress',
  commit: 'abc123',
  startedAt: '2026-11-01T00:00:00.000Z',
  maxRps: null,
  cpuPercent: null,
  targetMs: 1000,
  verdict: 'pass',
  reason: '',
  recordedBy: 'service:ci',
  p95Ms: 600,
  p99Ms: null,
  avgMs: null,
  rps: 900,
  requests: 1,
  errorRate: 0,
  durationSeconds: 600,
  vusMax: null,
  ...over,
});

describe('k6 summaries', () => {
  it("reads handleSummary's data object", () => {
    expect(readK6Summary(fixture('k6-handle-summary.json'))).toEqual({
      ok: true,
      value: {
        p95Ms: 612.35,
        p99Ms: 1180.2,
        avgMs: 212.4,
        rps: 900,
        requests: 540371,
        errorRate: 0.0021,
        durationSeconds: expect.closeTo(600.41253, 6),
        vusMax: 1000,
      },
    });
  });

  it('reads --summary-export JSON (rate metrics as passes, fails and value)', () => {
    expect(readK6Summary(fixture('k6-summary-export.json'))).toEqual({
      ok: true,
      value: {
        p95Ms: 1420.75,
        p99Ms: null,
        avgMs: 640.2,
        rps: 800,
        requests: 96000,
        errorRate: 0.03,
        durationSeconds: expect.closeTo(120.0032, 6),
        vusMax: 1000,
      },
    });
  });

  it('names what is missing', () => {
    expect(readK6Summary({})).toEqual({
      ok: false,
      error:
        'summary.metrics: is required (the JSON of k6 --summary-export or handleSummary)',
    });
    expect(
      readK6Summary({ metrics: { http_req_duration: { values: { avg: 1 } } } }),
    ).toMatchObject({
      ok: false,
      error: expect.stringMatching(
        /^summary\.metrics\.http_req_duration: needs p\(95\)/,
      ),
    });
    expect(
      readK6Summary({ metrics: { http_req_duration: { 'p(95)': 1 } } }),
    ).toEqual({
      ok: false,
      error: 'summary.metrics.http_reqs: needs count and rate',
    });
  });
});

describe('verdicts and headroom', () => {
  it("fails the build when p95 is above the latency SLO (the seed's rule)", () => {
    expect(latencyTargetMs({ 'reliability.io/latency-p95': '1s' })).toEqual({
      ms: 1000,
    });
    expect(latencyTargetMs({ 'reliability.io/latency-p95': '300ms' })).toEqual({
      ms: 300,
    });
    expect(
      latencyTargetMs({ 'reliability.io/latency-p95': 'fast' }).problem,
    ).toBe(
      "reliability.io/latency-p95: must be a latency such as 300ms or 1s, got 'fast'",
    );
    expect(capacityVerdict(1420.75, 1000)).toEqual({
      verdict: 'fail',
      reason: 'p95 1420.8 ms is above the latency SLO of 1000 ms',
    });
    expect(capacityVerdict(612.35, 1000)).toEqual({
      verdict: 'pass',
      reason: 'p95 612.4 ms is within the latency SLO of 1000 ms',
    });
    expect(capacityVerdict(612.35, null).verdict).toBe('unknown');
  });

  it('warns when the last stress test is below 2x the daily peak, and the last spike below 4x', () => {
    expect(
      capacityWarnings({
        lastStress: run({ maxRps: 1900 }),
        lastSpike: run({ testType: 'spike', maxRps: 3000 }),
        last: run({}),
        peakRps: 1000,
      }).map(w => w.message),
    ).toEqual([
      'The last stress test reached 1900 RPS, below twice the daily peak (2000 RPS of 1000).',
      'The last spike test reached 3000 RPS, below a 4x burst (4000 RPS).',
    ]);
    expect(
      capacityWarnings({
        lastStress: run({ maxRps: 2100 }),
        lastSpike: run({ testType: 'spike', maxRps: 4100 }),
        last: run({}),
        peakRps: 1000,
      }),
    ).toEqual([]);
    // without maxRps the average rate counts
    expect(
      capacityWarnings({
        lastStress: run({ rps: 250 }),
        lastSpike: null,
        last: run({}),
        peakRps: 100,
      }),
    ).toEqual([]);
    expect(
      capacityWarnings({
        lastStress: run({ rps: 150 }),
        lastSpike: null,
        last: run({}),
        peakRps: 100,
      }).map(w => w.code),
    ).toEqual(['stress-headroom']);
    expect(
      capacityWarnings({
        lastStress: null,
        lastSpike: null,
        last: run({
          verdict: 'fail',
          reason: 'p95 1420.8 ms is above the latency SLO of 1000 ms',
        }),
        peakRps: 12.5,
      }).map(w => w.code),
    ).toEqual(['last-failed', 'no-stress-test']);
    expect(
      capacityWarnings({
        lastStress: null,
        lastSpike: null,
        last: null,
        peakRps: null,
      }),
    ).toEqual([]);
  });
});
