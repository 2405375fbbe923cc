import { readFileSync } from 'fs';
import path from 'path';
import {
  csvErrorsMessage,
  DrillRecord,
  drillsToCsv,
  drillTargets,
  drillWarnings,
  parseDrillCsv,
} from './drill';
import { parseCsv } from '../csv/csv';

const SEED =
  'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"rds promotion 3m; cache warm 5m"\n';
const DAY = 86_400_000;

const record = (over: Partial<DrillRecord> = {}): DrillRecord => ({
  id: 1,
  entityRef: 'component:default/checkout',
  date: '2026-10-01',
  kind: 'regional-failover',
  region: 'ap-sg',
  toRegion: 'ap-jp',
  durationMin: 4,
  success: true,
  steps: [],
  notes: '',
  evidence: [],
  measuredRtoSeconds: 240,
  recordedBy: 'user:default/mei',
  recordedAt: '2026-10-01T10:00:00.000Z',
  ...over,
});

describe('the drill log CSV', () => {
  it("imports the seed's row as is, the quoted notes with their comma-free semicolons intact", () => {
    const r = parseDrillCsv(SEED);
    expect(r).toEqual({
      ok: true,
      drills: [
        {
          date: Date.UTC(2025, 8, 10),
          kind: 'regional-failover',
          region: 'ap-sg',
          durationMin: 18,
          success: true,
          notes: 'rds promotion 3m; cache warm 5m',
          steps: [],
          evidence: [],
        },
      ],
    });
  });

  it("reads the demo catalog's drill log: the seed's row, SRE-101 and a restore", () => {
    const r = parseDrillCsv(
      readFileSync(
        path.join(__dirname, '../../../../catalog/drills/checkout.csv'),
        'utf8',
      ),
      { now: Date.parse('2026-11-23T00:00:00Z') },
    );
    expect(r.ok).toBe(true);
    const drills = r.ok ? r.drills : [];
    expect(
      drills.map(d => [
        new Date(d.date).toISOString().slice(0, 10),
        d.kind,
        d.region,
        d.toRegion,
        d.success,
      ]),
    ).toEqual([
      ['2025-09-10', 'regional-failover', 'ap-sg', undefined, true],
      ['2025-12-09', 'regional-failover', 'ap-sg', 'ap-jp', true],
      ['2026-03-11', 'regional-failover', 'ap-sg', 'ap-jp', false],
      ['2026-05-20', 'point-in-time-restore', 'us-east', undefined, true],
      ['2026-06-10', 'regional-failover', 'ap-sg', 'ap-jp', true],
    ]);
    expect(drills[4]).toMatchObject({
      rtoSeconds: 270,
      rpoSeconds: 40,
      replicationLagSeconds: 12,
      steps: [
        'block egress in ap-sg',
        'promote the ap-jp replica',
        'shift traffic to ap-jp',
        'warm the cache',
      ],
    });
  });

  it('round-trips notes with commas, quotes and newlines through export and import', () => {
    const notes = 'promoted replica, then "warm" cache,\nsecond line';
    const csv = drillsToCsv([
      record({
        notes,
        steps: ['block egress in ap-sg', 'promote ap-jp'],
        evidence: [
          'https://grafana.example/d/1',
          'https://wiki.example/sre-101',
        ],
        rtoSeconds: 270,
        rpoSeconds: 40,
      }),
    ]);
    expect(csv.split('\n')[0]).toBe(
      'date,region,duration_min,success,notes,kind,to_region,rto_s,rpo_s,replication_lag_s,steps,evidence',
    );
    const back = parseDrillCsv(csv);
    expect(back.ok && back.drills[0]).toMatchObject({
      notes,
      steps: ['block egress in ap-sg', 'promote ap-jp'],
      evidence: ['https://grafana.example/d/1', 'https://wiki.example/sre-101'],
      rtoSeconds: 270,
      rpoSeconds: 40,
      toRegion: 'ap-jp',
    });
  });

  it('names the line and column of every broken row, and imports nothing', () => {
    const text = [
      'date,region,duration_min,success,notes',
      '2025-09-10,ap-sg,18,true,fine',
      '2025-13-40,ap-sg,18,true,wrong date',
      '2025-09-11,AP SG!,18,true,bad region',
      '2025-09-12,ap-sg,18,yes,not a boolean',
      '2025-09-13,ap-sg,eighteen,false,not a number',
      '2025-09-14,ap-sg,18,true',
      '"2025-09-15",ap-sg,5,true,"a note',
      'that spans lines"',
      '2025-02-30,ap-sg,5,true,no such day',
    ].join('\n');
    const r = parseDrillCsv(text);
    expect(r.ok).toBe(false);
    const errors = !r.ok ? r.errors : [];
    expect(errors).toEqual([
      {
        line: 7,
        message:
          'must have 5 columns (date,region,duration_min,success,notes), has 4',
      },
    ]);
    // the row errors, once the shape is right
    const rows = parseDrillCsv(
      text
        .split('\n')
        .filter((_, i) => i !== 6)
        .join('\n'),
    );
    expect(!rows.ok && csvErrorsMessage(rows.errors)).toBe(
      [
        "line 3, date: must be a date such as 2025-09-10, got '2025-13-40'",
        "line 4, region: must be a region such as ap-sg or us-east-1 (lowercase letters and digits, joined by -), got 'AP SG!'",
        "line 5, success: must be true or false, got 'yes'",
        "line 6, duration_min: must be a number, got 'eighteen'",
        "line 9, date: must be a date such as 2025-09-10, got '2025-02-30'",
      ].join('; '),
    );
  });

  it('refuses a missing or unknown column, an open quote and too many rows, naming the line', () => {
    expect(
      parseDrillCsv('date,region,duration_min,notes\n2025-09-10,ap-sg,18,x\n'),
    ).toEqual({
      ok: false,
      errors: [
        {
          line: 1,
          message:
            'the header must have the column success (it has date,region,duration_min,notes)',
        },
      ],
    });
    expect(
      parseDrillCsv('date,region,duration_min,success,notes,colour\n'),
    ).toMatchObject({ ok: false, errors: [{ line: 1, field: 'colour' }] });
    expect(
      parseDrillCsv(
        'date,region,duration_min,success,notes\n2025-09-10,ap-sg,18,true,"open\n',
      ),
    ).toEqual({
      ok: false,
      errors: [{ line: 2, message: 'a quoted field is not closed' }],
    });
    const many = `date,region,duration_min,success,notes\n${'2025-09-10,ap-sg,1,true,x\n'.repeat(
      5_001,
    )}`;
    expect(parseDrillCsv(many)).toEqual({
      ok: false,
      errors: [
        { line: 5_002, message: 'too many rows: at most 5000 per file' },
      ],
    });
    expect(parseCsv('')).toMatchObject({ ok: false, errors: [{ line: 1 }] });
  });

  it('skips blank and comment lines, keeps the file line numbers, and reads a BOM and CRLF', () => {
    const r = parseCsv(
      '\uFEFFa,b\r\n# a comment\r\n\r\n1,"x\r\ny"\r\n2,z\r\n',
      { required: ['a', 'b'] },
    );
    expect(r).toEqual({
      ok: true,
      header: ['a', 'b'],
      rows: [
        { line: 4, cells: { a: '1', b: 'x\r\ny' } },
        { line: 6, cells: { a: '2', b: 'z' } },
      ],
    });
  });
});

describe('drill targets and warnings', () => {
  const now = Date.parse('2026-11-23T12:00:00Z');
  const quarter = 90 * DAY;

  it('reads RTO and RPO annotations, and names a bad one', () => {
    expect(
      drillTargets({ 'reliability.io/rto': '5m', 'reliability.io/rpo': '60s' }),
    ).toEqual({ targets: { rtoSeconds: 300, rpoSeconds: 60 }, problems: [] });
    expect(drillTargets({ 'reliability.io/rto': 'soon' })).toEqual({
      targets: { rtoSeconds: null, rpoSeconds: null },
      problems: [
        "reliability.io/rto: must be a duration such as 60s, 5m or 4h, got 'soon'",
      ],
    });
  });

  it("warns when no successful drill happened in the quarter, and when the last one missed its RTO or RPO (the seed's 18 minutes against 5)", () => {
    const targets = { rtoSeconds: 300, rpoSeconds: 60 };
    const seed = record({
      date: '2025-09-10',
      durationMin: 18,
      measuredRtoSeconds: 1080,
      rpoSeconds: 90,
      toRegion: undefined,
    });
    expect(
      drillWarnings({
        last: seed,
        lastSuccess: seed,
        targets,
        now,
        maxAgeMs: quarter,
      }),
    ).toEqual([
      {
        code: 'stale',
        message:
          'No successful drill in the last 90 days (the last one: 2025-09-10).',
      },
      {
        code: 'rto-missed',
        message:
          'The last drill (2025-09-10, ap-sg) took 18 min, over the RTO of 5 min.',
      },
      {
        code: 'rpo-missed',
        message:
          'The last drill (2025-09-10, ap-sg) lost 90 s of data, over the RPO of 1 min.',
      },
    ]);
    const good = record({ date: '2026-11-01' });
    expect(
      drillWarnings({
        last: good,
        lastSuccess: good,
        targets,
        now,
        maxAgeMs: quarter,
      }),
    ).toEqual([]);
    const failed = record({
      date: '2026-11-20',
      success: false,
      measuredRtoSeconds: 120,
    });
    expect(
      drillWarnings({
        last: failed,
        lastSuccess: good,
        targets,
        now,
        maxAgeMs: quarter,
      }),
    ).toEqual([
      {
        code: 'failed',
        message: 'The last drill (2026-11-20, ap-sg to ap-jp) failed.',
      },
    ]);
    expect(
      drillWarnings({
        last: null,
        lastSuccess: null,
        targets,
        now,
        maxAgeMs: quarter,
      })[0].code,
    ).toBe('none');
  });
});
