import path from 'path';
import os from 'os';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'fs';
import { AddressInfo } from 'net';
import yaml from 'yaml';
import {
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { createBackendModule } from '@backstage/backend-plugin-api';
import catalogPlugin from '@backstage/plugin-catalog-backend';
import { catalogLocationsExtensionPoint } from '@backstage/plugin-catalog-node';
import {
  detectSloFormat,
  pyrraToOpenSlo,
  slothToOpenSlo,
  toOpenSloV1,
} from '@reliability-suite/plugin-reliability-common';
import { catalogModuleReliability } from './module';
import { ANNOTATION_UNRESOLVED } from './OpenSloEntityProcessor';
import { ANNOTATION_SOURCE_FORMAT } from './annotations';

/**
 * Every example file of the OpenSLO projects, of Sloth and of Pyrra (vendored under test/upstream), registered as a
 * file location in the real catalog backend with this module, on SQLite and PostgreSQL. Each document either appears
 * as an entity or is refused with the catalog's reason; none is lost. Each SLO that a Sloth or Pyrra resource (or an
 * OpenSLO v1alpha objective) converts into is followed the same way. What go-sdk (OpenSLO's reference validation)
 * says of each OpenSLO file is kept below beside what the catalog does with it, so a spec-valid file lost fails the
 * test; Sloth's and Pyrra's examples are valid by their own tools, and every refusal among them must be named below.
 */

const upstream = path.resolve(__dirname, '../../../test/upstream');

const allowFileLocations = createBackendModule({
  pluginId: 'catalog',
  moduleId: 'test-file-locations',
  register(reg) {
    reg.registerInit({
      deps: { locations: catalogLocationsExtensionPoint },
      async init({ locations }) {
        locations.setAllowedLocationTypes(['url', 'file']);
      },
    });
  },
});

/** The example files under a folder; Sloth's `_gen` folders hold the Prometheus rules Sloth generated, no SLO spec. */
function listFiles(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap(n => {
      const p = path.join(dir, n);
      if (statSync(p).isDirectory()) return n === '_gen' ? [] : listFiles(p);
      return /\.(ya?ml|json)$/.test(n) ? [p] : [];
    });
}

/** A document of a file, or an entity one converts into (`from`: the document's ref). */
type Doc = { kind: string; ref: string; from?: string };
const refOf = (kind: unknown, namespace: unknown, name: unknown) =>
  `${String(kind).toLocaleLowerCase('en-US')}:${
    typeof namespace === 'string' ? namespace : 'default'
  }/${String(name)}`;
/** The module's rule for a Sloth spec file's entity name (entityDataParser.ts): the service, if it is a valid name. */
const ENTITY_NAME = /^[A-Za-z0-9]([-_.A-Za-z0-9]{0,61}[A-Za-z0-9])?$/;

/**
 * The documents of a file, as a reader that knows lists at the root sees them, and the SLO entities each converts
 * into by -common's converters (the ones the module runs): a Sloth resource's or spec's SLOs, a Pyrra resource's SLO,
 * and the objectives after the first of an OpenSLO v1alpha SLO (the first keeps the document's name).
 */
function documentsOf(file: string): Doc[] {
  let slothSpecs = 0;
  const converted = (
    r: { ok: true; value: Record<string, any>[] } | { ok: false },
    from: string,
  ): Doc[] =>
    r.ok
      ? r.value.map(d => ({
          kind: 'SLO',
          ref: refOf('SLO', d.metadata.namespace, d.metadata.name),
          from,
        }))
      : [];
  return yaml
    .parseAllDocuments(readFileSync(file, 'utf8'))
    .map(d => d.toJSON())
    .flatMap(j => (Array.isArray(j) ? j : [j]))
    .filter(d => d)
    .flatMap((d: any): Doc[] => {
      if (
        d.version === 'prometheus/v1' &&
        d.apiVersion === undefined &&
        d.kind === undefined
      ) {
        slothSpecs += 1;
        const name =
          typeof d.service === 'string' && ENTITY_NAME.test(d.service)
            ? d.service
            : `sloth-spec-${slothSpecs}`;
        const ref = refOf('PrometheusServiceLevel', 'default', name);
        return [
          { kind: 'PrometheusServiceLevel', ref },
          ...converted(slothToOpenSlo(d, { namespace: 'default' }), ref),
        ];
      }
      const ref = refOf(d.kind, d.metadata?.namespace, d.metadata?.name);
      const own = { kind: String(d.kind), ref };
      const format = detectSloFormat(d);
      if (format === 'sloth')
        return [own, ...converted(slothToOpenSlo(d), ref)];
      if (format === 'pyrra')
        return [own, ...converted(pyrraToOpenSlo(d), ref)];
      if (format === 'openslo/v1alpha' && d.kind === 'SLO') {
        const r = toOpenSloV1(d);
        return [
          own,
          ...(r.ok
            ? r.value.slice(1).map((_, i) => ({
                kind: 'SLO',
                ref: refOf(
                  'SLO',
                  d.metadata?.namespace,
                  `${d.metadata?.name}-${i + 1}`,
                ),
                from: ref,
              }))
            : []),
        ];
      }
      return [own];
    });
}

/** Why each refusal below is expected: what the module's converters cannot carry. */
const SLI_PLUGIN = /sli\.plugin: SLI plugins are Go code that Sloth compiles/;
const GROUPING =
  /grouping: grouping \(one SLO per label value\) is not carried/;

/**
 * What OpenSLO's go-sdk (ae145da) says of each upstream OpenSLO file, read from its validation code
 * (pkg/openslo/v1/slo.go: `op` and `value` are forbidden on an objective of a ratio SLI, required on a threshold
 * one), and what the catalog does with each document: `accepted`, or refused with the reason matched. The SDK's own
 * example files (v1, v1alpha, v2alpha) are valid by its rules (its Example tests decode and validate the same
 * documents). Sloth's and Pyrra's examples are not OpenSLO: `spec` says they are valid by their own tools, so each of
 * their refusals is listed here with its reason, the field named.
 */
const EXPECTED: Record<
  string,
  {
    spec: 'valid' | string;
    docs: Record<string, 'accepted' | 'one-of-conflicting' | RegExp>;
  }
> = {
  'OpenSLO-OpenSLO/examples/budgeting-method/occurences-slo.yaml': {
    spec: 'valid',
    docs: { 'slo:default/search-slo': 'accepted' },
  },
  'OpenSLO-OpenSLO/examples/budgeting-method/ratio-timeslices.yaml': {
    spec: 'go-sdk: invalid: objectives[0].op is forbidden on a ratioMetric SLI',
    docs: { 'slo:default/main-page': 'accepted' },
  },
  // the next two files hold the same kind, namespace and name: the catalog keeps the one whose location it
  // processes first (not a fixed order), and refuses the other as a conflict; CONFLICTING below checks that
  'OpenSLO-OpenSLO/examples/budgeting-method/timeslices-slo.yaml': {
    spec: 'go-sdk: invalid: objectives[0].op is forbidden on a ratioMetric SLI',
    docs: { 'slo:default/service-availability': 'one-of-conflicting' },
  },
  'OpenSLO-OpenSLO/examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml':
    {
      spec: 'go-sdk: invalid: objectives[0].op is forbidden on a ratioMetric SLI',
      docs: { 'slo:default/service-availability': 'one-of-conflicting' },
    },
  // valid by go-sdk: a threshold SLO (spec.indicator.thresholdMetric, op gt 200) and a ratio SLO on Datadog
  'OpenSLO-go-sdk/pkg/openslo/v1alpha/examples/slos.yaml': {
    spec: 'valid',
    docs: {
      'slo:default/web-latency-threshold': 'accepted',
      'slo:default/web-availability-ratio': 'accepted',
    },
  },
  'slok-sloth/examples/plugin-getting-started.yml': {
    spec: 'valid',
    docs: {
      'prometheusservicelevel:default/myservice': new RegExp(
        `caused by Error: Invalid Sloth spec \\(service myservice\\) in file:.*: slos\\.0\\.${SLI_PLUGIN.source}`,
      ),
    },
  },
  'slok-sloth/examples/plugin-k8s-getting-started.yml': {
    spec: 'valid',
    docs: {
      'prometheusservicelevel:monitoring/sloth-slo-home-wifi': new RegExp(
        `caused by Error: Invalid Sloth PrometheusServiceLevel sloth-slo-home-wifi in file:.*: spec\\.slos\\.0\\.${SLI_PLUGIN.source}`,
      ),
    },
  },
  'slok-sloth/examples/contrib-slo-plugins.yml': {
    spec: 'valid',
    docs: {
      'prometheusservicelevel:default/myservice':
        /slos\.0\.plugins\.chain\.0\.id: sloth\.dev\/contrib\/info_labels\/v1: SLO plugins other than/,
    },
  },
  'slok-sloth/examples/contrib-denominator-corrected.yaml': {
    spec: 'valid',
    docs: {
      'prometheusservicelevel:test-ns/svc':
        /spec\.sloPlugins\.chain\.0\.id: sloth\.dev\/contrib\/denominator_corrected_rules\/v1: SLO plugins other than/,
    },
  },
  ...Object.fromEntries(
    [
      [
        'kubernetes/manifests/slos/slo-prometheus-operator-reconcile-errors.yaml',
        'monitoring/prometheus-operator-reconcile-errors',
        'ratio',
      ],
      [
        'kubernetes/manifests/slos/slo-prometheus-query-errors.yaml',
        'monitoring/prometheus-query-errors',
        'ratio',
      ],
      ['prometheus-http.yaml', 'default/prometheus-api-query', 'ratio'],
      [
        'prometheus-probe-success.yaml',
        'default/prometheus-blackbox-probe-success',
        'bool_gauge',
      ],
      ['pyrra-connect-errors.yaml', 'monitoring/pyrra-connect-errors', 'ratio'],
    ].map(([file, ref, indicator]) => [
      `pyrra-dev-pyrra/examples/${file}`,
      {
        spec: 'valid',
        docs: {
          [`servicelevelobjective:${ref}`]: new RegExp(
            `caused by Error: Invalid Pyrra ServiceLevelObjective ${
              ref.split('/')[1]
            } in file:.*: spec\\.indicator\\.${indicator}\\.${GROUPING.source}`,
          ),
        },
      },
    ]),
  ),
  'pyrra-dev-pyrra/examples/pyrra-connect-latency.yaml': {
    spec: 'valid',
    docs: {
      'servicelevelobjective:monitoring/pyrra-connect-latency':
        /spec\.indicator\.latencyNative: native-histogram latency indicators are not read/,
    },
  },
};

/** Documents of the same ref in two files: exactly one is accepted, the other refused naming the conflict. */
const CONFLICTING = {
  ref: 'slo:default/service-availability',
  files: [
    'OpenSLO-OpenSLO/examples/budgeting-method/timeslices-slo.yaml',
    'OpenSLO-OpenSLO/examples/treat-low-traffic-as-equally-important/timeslices-slo.yaml',
  ],
};

type Outcome = { doc: string; from?: string } & (
  | { outcome: 'accepted'; format?: string; error?: string }
  | { outcome: 'refused'; reason: string }
  | { outcome: 'lost' }
);

async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 250));
  }
}

type Catalog = {
  outcomes: (file: string) => Promise<Outcome[]>;
  byRef: (ref: string) => Promise<any>;
  locationErrors: (file: string) => string[];
  errorsOf: (ref: string) => string[];
  stop: () => Promise<void>;
};

const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });
/**
 * A fresh database, one at a time: TestDatabases makes its engine on the first call, and calls side by side would
 * each make one, of which it keeps (and shuts down) only the last.
 */
let databaseQueue: Promise<unknown> = Promise.resolve();
function initDatabase(databaseId: Parameters<typeof databases.init>[0]) {
  const next = databaseQueue.then(() => databases.init(databaseId));
  databaseQueue = next.catch(() => undefined);
  return next;
}
/** The catalogs started, stopped after the tests even when one fails midway. */
const running: Array<() => Promise<void>> = [];
afterAll(async () => {
  await Promise.all(running.splice(0).map(stop => stop().catch(() => {})));
});

/** The real catalog with this module on a fresh database, every file a location; answers once it has settled. */
async function loadInCatalog(
  databaseId: Parameters<typeof databases.init>[0],
  files: string[],
): Promise<Catalog> {
  const knex = await initDatabase(databaseId);
  const backend = await startTestBackend({
    features: [
      catalogPlugin,
      catalogModuleReliability,
      allowFileLocations,
      mockServices.database.factory({ knex }),
      mockServices.rootConfig.factory({
        data: {
          catalog: {
            // no periodic pass helps: what resolves, resolves through the module's refresh keys
            processingInterval: { minutes: 30 },
            rules: [
              {
                allow: [
                  'Location',
                  'Component',
                  'SLO',
                  'SLI',
                  'DataSource',
                  'Service',
                  'AlertPolicy',
                  'AlertCondition',
                  'AlertNotificationTarget',
                  'PrometheusServiceLevel',
                  'ServiceLevelObjective',
                ],
              },
            ],
            locations: files.map(target => ({
              type: 'file',
              target,
            })),
          },
        },
      }),
    ],
  });
  let stopped: Promise<void> | undefined;
  running.push(() => stopped ?? backend.stop());
  const base = `http://localhost:${
    (backend.server.address() as AddressInfo).port
  }`;
  const get = async (p: string) => {
    const res = await fetch(`${base}${p}`);
    return res.ok ? res.json() : undefined;
  };
  const byRef = (ref: string) => {
    const [kind, rest] = ref.split(':');
    const [ns, name] = rest.split('/');
    return get(
      `/api/catalog/entities/by-name/${encodeURIComponent(
        kind,
      )}/${encodeURIComponent(ns)}/${encodeURIComponent(name)}`,
    );
  };

  // settled: every row of the catalog's processing state processed once (entity or errors), twice in a row
  let last = '';
  await until(
    'the catalog to settle',
    async () => {
      const rows = await knex('refresh_state').select(
        'entity_ref',
        'processed_entity',
        'errors',
      );
      const pending = rows.filter(
        r => !r.processed_entity && !(r.errors && r.errors !== '[]'),
      );
      const finals = await knex('final_entities').count({ n: '*' });
      const now = JSON.stringify([rows.length, pending.length, finals]);
      const settled = pending.length === 0 && now === last;
      last = now;
      return settled ? true : undefined;
    },
    120_000,
  );
  await new Promise(r => setTimeout(r, 2000));

  const states = await knex('refresh_state').select(
    'entity_ref',
    'errors',
    'processed_entity',
    'unprocessed_entity',
  );
  const errorsOf = (ref: string, file: string) =>
    states
      .filter(
        s =>
          s.entity_ref === ref &&
          String(s.unprocessed_entity).includes(file) &&
          s.errors &&
          s.errors !== '[]',
      )
      .flatMap(s => JSON.parse(s.errors).map((e: any) => e.message));
  // errors a location carries (a file it could not read, an entity it could not claim)
  const locationErrors = (file: string) =>
    states
      .filter(
        s =>
          s.entity_ref.startsWith('location:') &&
          String(s.unprocessed_entity).includes(file) &&
          s.errors &&
          s.errors !== '[]',
      )
      .flatMap(s => JSON.parse(s.errors).map((e: any) => e.message));

  const outcomes = async (file: string): Promise<Outcome[]> => {
    const out: Outcome[] = [];
    const seen = new Set<string>();
    for (const d of documentsOf(file)) {
      const from = d.from ? { from: d.from } : {};
      if (seen.has(d.ref)) {
        // the catalog holds one entity per kind, namespace and name: a second document of the same file replaces the first
        out.push({
          doc: d.ref,
          ...from,
          outcome: 'refused',
          reason: `duplicate: ${d.ref} appears twice in this file, the catalog holds one`,
        });
        continue;
      }
      seen.add(d.ref);
      const entity = await byRef(d.ref);
      const here =
        entity?.metadata?.annotations?.['backstage.io/managed-by-location'] ===
        `file:${file}`;
      if (entity && here) {
        const err = entity.metadata.annotations?.[ANNOTATION_UNRESOLVED];
        const format = entity.metadata.annotations?.[ANNOTATION_SOURCE_FORMAT];
        out.push({
          doc: d.ref,
          ...from,
          outcome: 'accepted',
          ...(format ? { format } : {}),
          ...(err ? { error: err } : {}),
        });
        continue;
      }
      const reasons = [
        ...errorsOf(d.ref, file),
        // a location's error about an entity names it; one about the file (it could not be read) names none
        ...locationErrors(file).filter(
          m => m.includes(d.ref) || !m.startsWith('Entity '),
        ),
      ];
      if (entity && !here)
        reasons.push(
          `conflict: ${d.ref} is already provided by ${entity.metadata.annotations?.['backstage.io/managed-by-location']}`,
        );
      out.push(
        reasons.length
          ? {
              doc: d.ref,
              ...from,
              outcome: 'refused',
              reason: reasons.join(' | '),
            }
          : { doc: d.ref, ...from, outcome: 'lost' },
      );
    }
    return out;
  };
  return {
    outcomes,
    byRef,
    errorsOf: (ref: string) =>
      states
        .filter(st => st.entity_ref === ref)
        .flatMap(st =>
          JSON.parse(st.errors ?? '[]').map((e: any) => e.message),
        ),
    locationErrors,
    stop: () => {
      stopped ??= backend.stop();
      return stopped;
    },
  };
}

jest.setTimeout(300_000);

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)(
  'upstream OpenSLO, Sloth and Pyrra examples through the real catalog on %p',
  databaseId => {
    let tmp: string;
    beforeAll(() => {
      tmp = mkdtempSync(path.join(os.tmpdir(), 'openslo-catalog-'));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    it('reads every example file: each document accepted or refused with a reason, none lost', async () => {
      const own = writeOwnFixtures(tmp);
      const sdk = (v: string) =>
        listFiles(path.join(upstream, `OpenSLO-go-sdk/pkg/openslo/${v}`));
      // the first catalog holds OpenSLO's own examples (two of them share a name on purpose: CONFLICTING) and the
      // suite's fixtures; the other units go to the first catalog where none of their refs (documents and the SLOs
      // they convert into) is taken yet, and to a new catalog when every one is: the SDK's v1, v1alpha and v2alpha
      // examples share names, and so do Sloth's examples (variants of one spec), and a catalog holds one of each
      const first = [
        ...listFiles(path.join(upstream, 'OpenSLO-OpenSLO')),
        ...Object.values(own),
      ];
      const units = [
        sdk('v1'),
        sdk('v1alpha'),
        sdk('v2alpha'),
        listFiles(path.join(upstream, 'pyrra-dev-pyrra')),
        ...listFiles(path.join(upstream, 'slok-sloth')).map(f => [f]),
      ];
      const catalogs = [
        {
          files: first,
          refs: new Set(first.flatMap(documentsOf).map(d => d.ref)),
        },
      ];
      for (const unit of units) {
        const refs = unit.flatMap(documentsOf).map(d => d.ref);
        let home = catalogs.find(c => refs.every(r => !c.refs.has(r)));
        if (!home) {
          home = { files: [], refs: new Set() };
          catalogs.push(home);
        }
        home.files.push(...unit);
        for (const r of refs) home.refs.add(r);
      }
      const ownFiles = new Set(Object.values(own));
      const outcomes = new Map<string, Outcome[]>();
      let ownCatalog: Catalog | undefined;
      // the catalogs side by side: each mostly waits for its processing loop, one pass a second
      const started = Date.now();
      const loaded = await Promise.all(
        catalogs.map(c => loadInCatalog(databaseId, c.files)),
      );
      for (const [i, catalog] of loaded.entries()) {
        for (const file of catalogs[i].files.filter(f => !ownFiles.has(f)))
          outcomes.set(
            path.relative(upstream, file),
            await catalog.outcomes(file),
          );
        if (i === 0) ownCatalog = catalog;
        else await catalog.stop();
      }
      const settledIn = ((Date.now() - started) / 1000).toFixed(1);
      const files = [...outcomes.keys()];
      const { byRef, locationErrors } = ownCatalog!;
      // the table, for the report and for whoever reads a failure
      const all = [...outcomes.values()].flat();
      const count = (os_: Outcome[], o: Outcome['outcome']) =>
        os_.filter(x => x.outcome === o).length;
      const written = all.filter(o => !o.from);
      const converted = all.filter(o => o.from);
      const lines = [...outcomes.entries()].map(
        ([f, os_]) =>
          `${f}\n${os_
            .map(
              o =>
                `  ${o.from ? '  -> ' : ''}${o.outcome.padEnd(8)} ${o.doc}${
                  o.outcome === 'accepted' && o.format ? ` [${o.format}]` : ''
                }${o.outcome === 'refused' ? `: ${o.reason}` : ''}${
                  o.outcome === 'accepted' && o.error
                    ? ` (error: ${o.error})`
                    : ''
                }`,
            )
            .join('\n')}`,
      );
      // eslint-disable-next-line no-console
      console.log(
        `${databaseId}: ${files.length} files, ${
          written.length
        } documents, ${count(written, 'accepted')} accepted, ${count(
          written,
          'refused',
        )} refused with a reason, ${count(written, 'lost')} lost; ${
          converted.length
        } SLO entities converted from them (Sloth and Pyrra resources, v1alpha objectives after the first): ${count(
          converted,
          'accepted',
        )} accepted, ${count(
          converted,
          'refused',
        )} refused with a reason, ${count(converted, 'lost')} lost; ${
          catalogs.length
        } catalogs, read in ${settledIn} s\n${lines.join('\n')}`,
      );

      expect(all.filter(o => o.outcome === 'lost')).toEqual([]);
      const table = Object.entries(EXPECTED).flatMap(([file, expected]) =>
        Object.entries(expected.docs).map(([ref, want]) => {
          const o = outcomes.get(file)?.find(x => x.doc === ref);
          const got =
            o?.outcome === 'refused' ? o.reason : o?.outcome ?? 'not read';
          if (want === 'one-of-conflicting')
            return { file, ref, want: String(want), got, ok: true };
          const ok = want === 'accepted' ? got === 'accepted' : want.test(got);
          return { file, ref, want: String(want), got, ok };
        }),
      );
      expect(table.filter(r => !r.ok)).toEqual([]);
      const pair = CONFLICTING.files.map(f =>
        outcomes.get(f)?.find(x => x.doc === CONFLICTING.ref),
      );
      expect(pair.filter(o => o?.outcome === 'accepted')).toHaveLength(1);
      expect(pair.filter(o => o?.outcome === 'refused')).toEqual([
        expect.objectContaining({
          reason: expect.stringMatching(/conflict|already/i),
        }),
      ]);
      // a valid file (every one but the three OpenSLO examples go-sdk refuses) loses no document, and no SLO it
      // converts into, to a refusal the table does not name
      for (const [file, os_] of outcomes) {
        const expected = EXPECTED[file];
        if (expected && expected.spec !== 'valid') continue;
        const refusedUnexpectedly = os_.filter(
          o =>
            o.outcome === 'refused' &&
            !(expected?.docs[o.doc] instanceof RegExp) &&
            !o.reason.startsWith('duplicate:'),
        );
        expect({ file, refusedUnexpectedly }).toEqual({
          file,
          refusedUnexpectedly: [],
        });
      }
      const under = (prefix: string) =>
        [...outcomes.entries()]
          .filter(([f]) => f.startsWith(prefix))
          .flatMap(([, os_]) => os_);
      // go-sdk's v1 examples: every document an entity (services.yaml names example-service twice)
      expect(
        files.filter(f => f.startsWith('OpenSLO-go-sdk/pkg/openslo/v1/'))
          .length,
      ).toBe(7);
      expect(
        under('OpenSLO-go-sdk/pkg/openslo/v1/').filter(
          o => o.outcome !== 'accepted',
        ),
      ).toEqual([
        expect.objectContaining({
          doc: 'service:default/example-service',
          reason: expect.stringMatching(/^duplicate:/),
        }),
      ]);
      // go-sdk's v2alpha examples: every document an OpenSLO v1 entity, converted (services.yaml names example-service
      // twice too)
      const v2alpha = under('OpenSLO-go-sdk/pkg/openslo/v2alpha/');
      expect(v2alpha.length).toBe(17);
      expect(v2alpha.filter(o => o.outcome !== 'accepted')).toEqual([
        expect.objectContaining({
          doc: 'service:default/example-service',
          reason: expect.stringMatching(/^duplicate:/),
        }),
      ]);
      expect(
        v2alpha.filter(
          o => o.outcome === 'accepted' && o.format !== 'openslo/v2alpha',
        ),
      ).toEqual([]);
      // every SLO converted from another document carries its source format (Sloth's examples hold OpenSLO v1alpha too)
      for (const [prefix, format] of [
        ['slok-sloth/', 'sloth'],
        ['pyrra-dev-pyrra/', 'pyrra'],
      ])
        expect(
          under(prefix).filter(
            o =>
              o.from &&
              o.outcome === 'accepted' &&
              o.format !==
                (o.from.startsWith('slo:') ? 'openslo/v1alpha' : format),
          ),
        ).toEqual([]);

      // the suite's own files: a list at the root, a JSON array, three documents that name each other, a dangling
      // reference, an SLI refused, a list of other kinds (read as Backstage reads it: refused), three v2alpha
      // documents that name each other, and two Sloth specs in one file
      const slo = await until(
        'the SLO of three documents, resolved',
        async () => {
          const e = await byRef('slo:default/three-docs-slo');
          return e?.relations?.length ? e : undefined;
        },
      );
      expect(slo.metadata.annotations?.[ANNOTATION_UNRESOLVED]).toBeUndefined();
      expect(slo.status?.items ?? []).toEqual([]);
      expect(slo.spec.indicator.spec.ratioMetric.total.metricSource).toEqual(
        expect.objectContaining({ type: 'Prometheus' }),
      );
      expect(
        slo.relations.map((r: any) => `${r.type} ${r.targetRef}`).sort(),
      ).toEqual(
        expect.arrayContaining([
          'dependsOn datasource:default/three-docs-prom',
          'dependsOn sli:default/three-docs-sli',
        ]),
      );
      for (const ref of [
        'slo:default/listed-a',
        'slo:default/listed-b',
        'slo:default/json-a',
        'slo:default/json-b',
      ])
        expect({
          ref,
          name: (await byRef(ref))?.metadata?.name,
          errors: ownCatalog!.errorsOf(ref),
        }).toEqual({
          ref,
          name: ref.split('/')[1],
          errors: [],
        });

      const dangling = await byRef('slo:default/dangling-slo');
      expect(dangling?.status?.items).toEqual([
        expect.objectContaining({
          type: 'backstage.io/catalog-processing',
          level: 'error',
          error: expect.objectContaining({
            message: expect.stringContaining(
              'spec.indicatorRef: no SLI named not-registered in namespace default',
            ),
          }),
        }),
      ]);
      const refusedRef = await until(
        'the SLO that names a refused SLI',
        async () => {
          const e = await byRef('slo:default/names-refused-sli');
          const m = e?.status?.items?.[0]?.error?.message;
          return typeof m === 'string' && m.includes('refused') ? m : undefined;
        },
      );
      expect(refusedRef).toMatch(
        /no SLI named broken-sli.*the catalog refused it: Invalid OpenSLO SLI broken-sli/,
      );
      expect(await byRef('sli:default/broken-sli')).toBeUndefined();
      expect(locationErrors(own.componentList).join()).toMatch(
        /Expected object at root/,
      );
      expect(await byRef('component:default/listed-component')).toBeUndefined();

      // OpenSLO v2alpha: the SLO's sliRef resolves to the v2alpha SLI of the same file, and its dataSourceRef to the
      // DataSource, each an OpenSLO v1 entity of its kind
      const v2slo = await until('the v2alpha SLO, resolved', async () => {
        const e = await byRef('slo:default/v2-slo');
        return e?.relations?.some((r: any) => r.type === 'dependsOn')
          ? e
          : undefined;
      });
      expect(v2slo.apiVersion).toBe('openslo/v1');
      expect(v2slo.metadata.annotations).toEqual(
        expect.objectContaining({
          [ANNOTATION_SOURCE_FORMAT]: 'openslo/v2alpha',
          'reliability.io/openslo-references':
            expect.stringContaining('sli:default/v2-sli'),
        }),
      );
      expect(
        v2slo.metadata.annotations?.[ANNOTATION_UNRESOLVED],
      ).toBeUndefined();
      expect(v2slo.spec.indicator.spec.ratioMetric.total.metricSource).toEqual(
        expect.objectContaining({ type: 'Prometheus' }),
      );
      expect((await byRef('datasource:default/v2-prom'))?.spec).toEqual(
        expect.objectContaining({
          connectionDetails: { url: 'http://prometheus:9090' },
        }),
      );
      // a Sloth spec file: each spec on its own, the refused one naming its plugin
      expect(
        (await byRef('slo:default/spec-ok-requests'))?.metadata.annotations?.[
          ANNOTATION_SOURCE_FORMAT
        ],
      ).toBe('sloth');
      expect(
        ownCatalog!
          .errorsOf('prometheusservicelevel:default/spec-plugin')
          .join(),
      ).toMatch(
        /Invalid Sloth spec \(service spec-plugin\).*slos\.0\.sli\.plugin/,
      );
      await ownCatalog!.stop();
    });
  },
);

const sli = (name: string, extra: object = {}) => ({
  apiVersion: 'openslo/v1',
  kind: 'SLI',
  metadata: { name },
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
    ...extra,
  },
});
const slo = (name: string, spec: object) => ({
  apiVersion: 'openslo/v1',
  kind: 'SLO',
  metadata: {
    name,
  },
  spec: {
    service: 'shop',
    timeWindow: [{ duration: '28d', isRolling: true }],
    budgetingMethod: 'Occurrences',
    objectives: [{ target: 0.99 }],
    ...spec,
  },
});
const inline = { indicator: { metadata: { name: 'i' }, spec: sli('i').spec } };

function writeOwnFixtures(dir: string) {
  const files = {
    threeDocs: path.join(dir, 'three-docs.yaml'),
    list: path.join(dir, 'listed.yaml'),
    json: path.join(dir, 'array.json'),
    dangling: path.join(dir, 'dangling.yaml'),
    refusedSli: path.join(dir, 'refused-sli.yaml'),
    componentList: path.join(dir, 'component-list.yaml'),
    v2alpha: path.join(dir, 'v2alpha-three-docs.yaml'),
    slothSpecs: path.join(dir, 'sloth-specs.yaml'),
  };
  // the SLO first: it meets neither its SLI nor its DataSource in the catalog on its first pass
  writeFileSync(
    files.threeDocs,
    [
      slo('three-docs-slo', { indicatorRef: 'three-docs-sli' }),
      {
        ...sli('three-docs-sli'),
        spec: {
          ratioMetric: {
            counter: true,
            good: {
              metricSource: {
                metricSourceRef: 'three-docs-prom',
                spec: { query: 'sum(rate(ok[1m]))' },
              },
            },
            total: {
              metricSource: {
                metricSourceRef: 'three-docs-prom',
                spec: { query: 'sum(rate(all[1m]))' },
              },
            },
          },
        },
      },
      {
        apiVersion: 'openslo/v1',
        kind: 'DataSource',
        metadata: { name: 'three-docs-prom' },
        spec: { type: 'Prometheus', connectionDetails: { instance: 'main' } },
      },
    ]
      .map(d => yaml.stringify(d))
      .join('---\n'),
  );
  writeFileSync(
    files.list,
    yaml.stringify([slo('listed-a', inline), slo('listed-b', inline)]),
  );
  writeFileSync(
    files.json,
    JSON.stringify([slo('json-a', inline), slo('json-b', inline)]),
  );
  writeFileSync(
    files.dangling,
    yaml.stringify(slo('dangling-slo', { indicatorRef: 'not-registered' })),
  );
  writeFileSync(
    files.refusedSli,
    [
      slo('names-refused-sli', { indicatorRef: 'broken-sli' }),
      { ...sli('broken-sli'), spec: { description: 'no metric at all' } },
    ]
      .map(d => yaml.stringify(d))
      .join('---\n'),
  );
  writeFileSync(
    files.componentList,
    yaml.stringify([
      {
        apiVersion: 'backstage.io/v1alpha1',
        kind: 'Component',
        metadata: { name: 'listed-component' },
        spec: { type: 'service', lifecycle: 'production', owner: 'x' },
      },
    ]),
  );
  // an OpenSLO v2alpha SLO whose sliRef and dataSourceRef name documents of the same file, given after it
  const v2 = (kind: string, name: string, spec: object) => ({
    apiVersion: 'openslo.com/v2alpha',
    kind,
    metadata: { name },
    spec,
  });
  const v2metric = (query: string) => ({
    dataSourceRef: 'v2-prom',
    spec: { query },
  });
  writeFileSync(
    files.v2alpha,
    [
      v2('SLO', 'v2-slo', {
        serviceRef: 'shop',
        sliRef: 'v2-sli',
        timeWindow: [{ duration: '28d', isRolling: true }],
        budgetingMethod: 'Occurrences',
        objectives: [{ target: 0.99 }],
      }),
      v2('SLI', 'v2-sli', {
        ratioMetric: {
          counter: true,
          good: v2metric('sum(rate(ok[1m]))'),
          total: v2metric('sum(rate(all[1m]))'),
        },
      }),
      v2('DataSource', 'v2-prom', {
        type: 'Prometheus',
        connectionDetails: [{ url: 'http://prometheus:9090' }],
      }),
    ]
      .map(d => yaml.stringify(d))
      .join('---\n'),
  );
  // two Sloth spec files' specs in one file: one read, one refused for its SLI plugin; neither takes the other down
  const slothSpec = (service: string, indicator: object) => ({
    version: 'prometheus/v1',
    service,
    slos: [{ name: 'requests', objective: 99.9, sli: indicator }],
  });
  writeFileSync(
    files.slothSpecs,
    [
      slothSpec('spec-ok', {
        events: {
          error_query: 'sum(rate(errors[{{.window}}]))',
          total_query: 'sum(rate(all[{{.window}}]))',
        },
      }),
      slothSpec('spec-plugin', { plugin: { id: 'sloth-common/availability' } }),
    ]
      .map(d => yaml.stringify(d))
      .join('---\n'),
  );
  return files;
}
