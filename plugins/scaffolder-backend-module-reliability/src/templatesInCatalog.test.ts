import {
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { AddressInfo } from 'net';
import { parse, parseAllDocuments } from 'yaml';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
  TestDatabases,
} from '@backstage/backend-test-utils';
import { SchedulerServiceTaskInvocationDefinition } from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { OpenSloEntityProcessor } from '@reliability-suite/plugin-catalog-backend-module-reliability';
// the real reliability backend serves what the templates wrote (a test of both sides, not a runtime import)
// eslint-disable-next-line @backstage/no-mixed-plugin-imports
import reliabilityPlugin from '@reliability-suite/plugin-reliability-backend';
import { createSloAction } from './slos/createSloAction';
import { createRunbookAction } from './runbooks/createRunbookAction';
import { createChaosAction } from './chaos/createChaosAction';
import { createChaosDraftAction } from './chaos/createChaosDraftAction';
import { publishLocalAction } from './publish/publishLocalAction';

/**
 * Each template of catalog/templates run step by step with its own inputs (the template's `${{ … }}` lookups filled
 * from the form's values), its files published, its catalog files processed by the catalog module's real OpenSLO
 * processor, and the result served by the real reliability backend on SQLite and PostgreSQL: the runbook links
 * resolve, the SLO evaluates, and the experiment is a draft on the tab that someone else approves and then starts.
 */

jest.setTimeout(120_000);

const TEMPLATES = join(__dirname, '../../../catalog/templates');
const AUTHOR = 'user:default/mei';
const APPROVER = 'user:default/ana';
const MIN = 60_000;

const dirs: string[] = [];
afterAll(() => dirs.forEach(d => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'reliability-templates-'));
  dirs.push(d);
  return d;
};

const template = (name: string) =>
  parse(readFileSync(join(TEMPLATES, name, 'template.yaml'), 'utf8'));

/**
 * The scaffolder's rendering of plain lookups: a value that is one `${{ a.b }}` keeps its type (a number, a list),
 * one inside text is written into it. `| dump` writes JSON. The templates use nothing else.
 */
function render(value: unknown, scope: Record<string, any>): any {
  const lookup = (path: string) =>
    path
      .split('.')
      .reduce<any>((o, k) => (o === undefined ? undefined : o[k]), scope);
  if (typeof value === 'string') {
    const whole = /^\$\{\{\s*([\w.]+)\s*\}\}$/.exec(value);
    if (whole) return lookup(whole[1]);
    return value.replace(
      /\$\{\{\s*([\w.]+)\s*(\|\s*dump\s*)?\}\}/g,
      (_, path: string, dump?: string) =>
        dump ? JSON.stringify(lookup(path)) : String(lookup(path) ?? ''),
    );
  }
  if (Array.isArray(value)) return value.map(v => render(v, scope));
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, render(v, scope)]),
    );
  return value;
}

/** Runs a template's steps of our actions in a workspace, as the scaffolder does; answers each step's output. */
async function runSteps(
  name: string,
  parameters: Record<string, unknown>,
  actions: Record<string, { handler: (ctx: any) => Promise<void> }>,
  workspacePath: string,
) {
  const t = template(name);
  const steps: Record<string, { output: Record<string, unknown> }> = {};
  for (const step of t.spec.steps) {
    const action = actions[step.action];
    if (!action) continue; // fetch:template is rendered by the caller
    const output: Record<string, unknown> = {};
    const ctx = createMockActionContext({
      workspacePath,
      input: render(step.input, { parameters, steps, user: { ref: AUTHOR } }),
    });
    (ctx as any).output = (k: string, v: unknown) => {
      output[k] = v;
    };
    (ctx as any).getInitiatorCredentials = async () =>
      mockCredentials.user(AUTHOR);
    await action.handler(ctx);
    steps[step.id] = { output };
  }
  return {
    steps,
    text: render(t.spec.output?.text ?? [], {
      parameters,
      steps,
      user: { ref: AUTHOR },
    }) as { title: string; content: string }[],
  };
}

/** Each document of a published catalog file, through the catalog module's OpenSLO processor (with its relations). */
async function processed(file: string): Promise<Entity[]> {
  const processor = new OpenSloEntityProcessor(async () => undefined);
  const out: Entity[] = [];
  for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
    const raw = doc.toJS() as Entity;
    const relations: any[] = [];
    const location = { type: 'file', target: file };
    const entity = {
      ...raw,
      metadata: {
        namespace: 'default',
        ...raw.metadata,
        annotations: {
          ...raw.metadata.annotations,
          'backstage.io/managed-by-location': `file:${file}`,
          'backstage.io/managed-by-origin-location': `file:${file}`,
        },
      },
    };
    const result = (await processor.validateEntityKind(entity))
      ? await processor.preProcessEntity(entity, location, (r: any) => {
          if (r.type === 'relation') relations.push(r.relation);
          if (r.type === 'error') throw r.error;
        })
      : entity;
    out.push({
      ...result,
      relations: relations
        .filter(
          r =>
            `${r.source.kind}:${r.source.namespace}/${r.source.name}`.toLocaleLowerCase(
              'en-US',
            ) ===
            `${result.kind}:${result.metadata.namespace}/${result.metadata.name}`.toLocaleLowerCase(
              'en-US',
            ),
        )
        .map(r => ({
          type: r.type,
          targetRef:
            `${r.target.kind}:${r.target.namespace}/${r.target.name}`.toLocaleLowerCase(
              'en-US',
            ),
        })),
    });
  }
  return out;
}

/** A scheduler that runs the plugin's tasks when the test asks. */
function manualScheduler() {
  const tasks = new Map<string, SchedulerServiceTaskInvocationDefinition>();
  return {
    factory: mockServices.scheduler.mock({
      scheduleTask: async task => {
        tasks.set(task.id, task);
      },
    }).factory,
    evaluate: async () =>
      tasks.get('reliability-evaluate')!.fn(new AbortController().signal),
  };
}

describe.each(
  TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] }).eachSupportedId(),
)('the templates, loaded by the catalog and served on %p', databaseId => {
  const databases = TestDatabases.create({ ids: ['POSTGRES_15', 'SQLITE_3'] });

  it('New service, New runbook and New chaos experiment produce a runbook that resolves, an SLO that evaluates and an experiment that is approved and starts', async () => {
    const root = tmp();
    const catalogDir = join(root, 'catalog');
    const publishDir = join(catalogDir, 'generated');
    const existing: Entity = {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: 'legacy',
        namespace: 'default',
        annotations: {
          'backstage.io/managed-by-location': `file:${catalogDir}/components.yaml`,
        },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'sre' },
    };
    const publish = publishLocalAction({
      catalog: catalogServiceMock({ entities: [existing] }),
      publishDir,
      locationRef: 'location:default/reliability-generated',
    });

    // New service: the skeleton (fetch:template), the SLO, the runbook, published
    const service = tmp();
    const serviceParams = {
      name: 'basket',
      description: 'The basket',
      owner: 'group:default/shop',
      objectivePercent: 99.5,
    };
    await runSteps(
      'new-service',
      serviceParams,
      {
        'reliability:slo:create': createSloAction(),
        'reliability:runbook:create': createRunbookAction({
          catalog: catalogServiceMock(),
          auth: mockServices.auth(),
        }),
      },
      service,
    );
    const skeleton = render(
      readFileSync(
        join(TEMPLATES, 'new-service/skeleton/catalog-info.yaml'),
        'utf8',
      ),
      { values: serviceParams },
    );
    mkdirSync(join(service, 'basket'), { recursive: true });
    writeFileSync(join(service, 'basket/catalog-info.yaml'), skeleton);
    const publishStep = template('new-service').spec.steps.at(-1);
    const ctx = createMockActionContext({
      workspacePath: service,
      input: {
        ...render(publishStep.input, { parameters: serviceParams }),
        overwrite: false,
        register: true,
      },
    });
    await publish.handler(ctx as any);
    const basket = await processed(
      join(publishDir, 'basket/catalog-info.yaml'),
    );
    const basketSlo = await processed(join(publishDir, 'basket/slo.yaml'));
    expect(basketSlo.map(e => e.kind)).toContain('SLO');

    // New runbook, for a component whose catalog file is in the catalog folder; its annotation as the output says
    const runbookWs = tmp();
    const newRunbook = await runSteps(
      'new-runbook',
      { component: 'component:default/legacy' },
      {
        'reliability:runbook:create': createRunbookAction({
          catalog: catalogServiceMock({ entities: [existing] }),
          auth: mockServices.auth(),
        }),
        'reliability:publish:local': publish,
      },
      runbookWs,
    );
    const suggested = /`reliability\.io\/runbook: ([^`]+)`/.exec(
      newRunbook.text[0].content,
    )?.[1];
    expect(suggested).toBe('./generated/runbooks/legacy.md');
    existing.metadata.annotations!['reliability.io/runbook'] = suggested!;

    const scheduler = manualScheduler();
    const knex = await databases.init(databaseId);
    const entities = [existing, ...basket, ...basketSlo];
    let base = '';
    const backend = await startTestBackend({
      features: [
        reliabilityPlugin,
        scheduler.factory,
        catalogServiceMock.factory({ entities }),
        mockServices.database.factory({ knex }),
        mockServices.rootConfig.factory({ data: {} }),
      ],
    });
    base = `http://localhost:${(backend.server.address() as AddressInfo).port}`;
    try {
      const call = async (
        method: string,
        p: string,
        as: string | 'service',
        body?: unknown,
      ) => {
        const res = await fetch(`${base}/api/reliability${p}`, {
          method,
          headers: {
            'content-type': 'application/json',
            authorization:
              as === 'service'
                ? mockCredentials.service.header()
                : mockCredentials.user.header(as),
          },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        return { status: res.status, body: (await res.json()) as any };
      };
      await scheduler.evaluate();

      // the runbooks resolve: the new service's beside its catalog file, the legacy one in the generated folder
      for (const ref of [
        'component/default/basket',
        'component/default/legacy',
      ]) {
        const rb = await call('GET', `/runbooks/${ref}`, AUTHOR);
        expect([ref, rb.status, rb.body.error?.message]).toEqual([
          ref,
          200,
          undefined,
        ]);
        expect(rb.body.sections.map((s: any) => s.id)).toEqual(
          expect.arrayContaining(['symptoms', 'mitigations']),
        );
      }

      // the SLO evaluates from ingested events
      const t = new Date(
        Math.floor(Date.now() / MIN) * MIN - 30_000,
      ).toISOString();
      const ingest = await call('POST', '/sli-events', 'service', {
        events: [
          {
            slo: 'default/basket-availability',
            timestamp: t,
            good: 9_990,
            total: 10_000,
          },
        ],
      });
      expect([ingest.status, ingest.body.error?.message]).toEqual([
        202,
        undefined,
      ]);
      await scheduler.evaluate();
      const slo = await call(
        'GET',
        '/slos/default/basket-availability',
        AUTHOR,
      );
      expect(slo.status).toBe(200);
      // 10 bad of 10,000 against a 0.5% budget: a fifth of the budget spent
      expect(slo.body.status.budgetRemaining).toBeCloseTo(0.8, 3);

      // New chaos experiment in production, with its approver: written, linted, a draft on the tab
      const chaosWs = tmp();
      const chaos = await runSteps(
        'new-chaos-experiment',
        {
          component: 'component:default/basket',
          name: 'basket-latency',
          hypothesis: 'Basket p95 stays under 1 s if pricing slows 300 ms',
          owner: 'group:default/shop',
          namespace: 'shop',
          deployment: 'pricing',
          slo: 'default/basket-availability',
          environment: 'production',
          approver: APPROVER,
          injection: 'latency',
          latencyMs: 300,
          errorPercent: 10,
          trafficPercent: 5,
          duration: '10m',
          abortBudgetPercent: 5,
          abortWithin: '90s',
          rollback: ['disable the fault injection'],
        },
        {
          'reliability:chaos:create': createChaosAction(),
          'reliability:chaos:draft': createChaosDraftAction({
            discovery: {
              getBaseUrl: async id => `${base}/api/${id}`,
              getExternalBaseUrl: async id => `${base}/api/${id}`,
            },
            auth: mockServices.auth(),
          }),
          'reliability:publish:local': publish,
        },
        chaosWs,
      );
      const written = parse(
        readFileSync(join(publishDir, 'chaos/basket-latency.yaml'), 'utf8'),
      );
      expect([written.environment, written.approver]).toEqual([
        'production',
        APPROVER,
      ]);
      const id = chaos.steps.draft.output.id as number;
      const listed = await call(
        'GET',
        '/chaos?entityRef=component:default/basket',
        AUTHOR,
      );
      expect(
        listed.body.items.map((x: any) => [x.id, x.name, x.state, x.author]),
      ).toEqual([[id, 'basket-latency', 'draft', AUTHOR]]);
      // the author cannot approve it; the approver does, and it starts
      expect((await call('POST', `/chaos/${id}/approve`, AUTHOR)).status).toBe(
        403,
      );
      const approved = await call('POST', `/chaos/${id}/approve`, APPROVER);
      expect([approved.status, approved.body.state]).toEqual([200, 'approved']);
      const started = await call('POST', `/chaos/${id}/start`, AUTHOR);
      expect([
        started.status,
        started.body.state,
        started.body.error?.message,
      ]).toEqual([200, 'running', undefined]);
    } finally {
      await backend.stop();
    }
  });

  it('refuses a production experiment without its approver, and a runbook path the portal cannot read', async () => {
    const t = template('new-chaos-experiment');
    const env = t.spec.parameters[1].dependencies.environment.oneOf.find(
      (o: any) => o.properties.environment.const === 'production',
    );
    expect(env.required).toEqual(['approver']);
    const ctx = createMockActionContext({
      workspacePath: tmp(),
      input: {
        entityRef: 'component:default/basket',
        experiment: render(t.spec.steps[0].input.experiment, {
          parameters: {
            name: 'x',
            hypothesis: 'h',
            owner: 'group:default/shop',
            namespace: 'n',
            deployment: 'd',
            slo: 'default/basket-availability',
            environment: 'production',
            injection: 'latency',
            latencyMs: 300,
            trafficPercent: 5,
            duration: '10m',
            abortBudgetPercent: 5,
            abortWithin: '90s',
            rollback: ['off'],
          },
          user: { ref: AUTHOR },
        }),
      } as any,
    });
    await expect(createChaosAction().handler(ctx)).rejects.toThrow(
      /approver: is required in production/,
    );
    const slo = createMockActionContext({
      workspacePath: tmp(),
      input: {
        slo: {
          name: 'x-availability',
          component: 'component:default/x',
          sli: { type: 'availability' },
          objectivePercent: 99.5,
          runbook: 'runbook.md',
        },
      } as any,
    });
    await expect(createSloAction().handler(slo)).rejects.toThrow(
      /runbook.*write \.\/runbook\.md/,
    );
  });
});
