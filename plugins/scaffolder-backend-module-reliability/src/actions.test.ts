import {
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  existsSync,
} from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parse } from 'yaml';
import { createMockActionContext } from '@backstage/plugin-scaffolder-node-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockServices } from '@backstage/backend-test-utils';
import {
  lintChaosExperiment,
  parseOpenSlo,
} from '@reliability-suite/plugin-reliability-common';
import { createSloAction } from './slos/createSloAction';
import { createRunbookAction } from './runbooks/createRunbookAction';
import { createChaosAction } from './chaos/createChaosAction';
import { publishLocalAction } from './publish/publishLocalAction';

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'reliability-scaffolder-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach(d => rmSync(d, { recursive: true, force: true })));

const catalog = catalogServiceMock({
  entities: [
    {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: { name: 'checkout', namespace: 'default' },
      spec: {
        owner: 'group:default/payments-sre',
        type: 'service',
        lifecycle: 'production',
      },
    },
    {
      apiVersion: 'openslo/v1',
      kind: 'SLO',
      metadata: { name: 'checkout-success', namespace: 'default' },
      spec: {},
      relations: [
        { type: 'measures', targetRef: 'component:default/checkout' },
      ],
    },
  ],
});

describe('reliability:slo:create', () => {
  it('writes a valid OpenSLO file and outputs its path, YAML and entity ref (dry run too)', async () => {
    const action = createSloAction();
    for (const isDryRun of [false, true]) {
      const workspacePath = tmp();
      // the mock context leaves isDryRun out: set as the scaffolder sets it for a dry run
      const ctx = {
        ...createMockActionContext({
          workspacePath,
          input: {
            slo: {
              name: 'checkout-latency',
              component: 'component:default/checkout',
              sli: { type: 'latency', thresholdSeconds: 1 },
              objectivePercent: 99,
              runbook: './runbooks/checkout.md',
            },
          } as any,
        }),
        isDryRun,
      };
      await action.handler(ctx);
      const text = readFileSync(
        join(workspacePath, 'slos/checkout-latency.yaml'),
        'utf8',
      );
      const parsed = parseOpenSlo(parse(text));
      expect(
        parsed.ok && [
          parsed.value.ref,
          parsed.value.target,
          parsed.value.runbook,
        ],
      ).toEqual(['default/checkout-latency', 0.99, './runbooks/checkout.md']);
      expect(ctx.output).toHaveBeenCalledWith(
        'path',
        'slos/checkout-latency.yaml',
      );
      expect(ctx.output).toHaveBeenCalledWith(
        'entityRef',
        'slo:default/checkout-latency',
      );
      expect(ctx.output).toHaveBeenCalledWith('yaml', text);
    }
  });

  it("takes a template's empty optional fields as not given", async () => {
    const workspacePath = tmp();
    const ctx = createMockActionContext({
      workspacePath,
      // the user first chose latency (its threshold stays in the form), then a synthetic journey; workbook alerts with empty rows
      input: {
        slo: {
          name: 'a-journey',
          component: 'component:default/checkout',
          displayName: '',
          sli: {
            type: 'synthetic',
            journey: 'checkout_full',
            region: '',
            goodQuery: null,
            thresholdSeconds: 0.3,
          },
          objectivePercent: 99.5,
          alerting: { policy: 'workbook', rows: [] },
          runbook: '',
        },
      } as any,
    });
    await createSloAction().handler(ctx);
    expect(ctx.output).toHaveBeenCalledWith(
      'entityRef',
      'slo:default/a-journey',
    );
  });

  it('fails naming the field, and never writes outside the workspace', async () => {
    const action = createSloAction();
    const ctx = createMockActionContext({
      workspacePath: tmp(),
      input: {
        slo: {
          name: 'x',
          component: 'checkout',
          sli: { type: 'availability' },
          objectivePercent: 101,
        },
      } as any,
    });
    await expect(action.handler(ctx)).rejects.toThrow(
      'Invalid SLO: component: must be an entity ref such as component:default/checkout; objectivePercent: must be below 100 (100% leaves no budget)',
    );
    const escape = createMockActionContext({
      workspacePath: tmp(),
      input: {
        targetPath: '../../etc/x.yaml',
        slo: {
          name: 'x',
          component: 'component:default/x',
          sli: { type: 'availability' },
          objectivePercent: 99,
        },
      } as any,
    });
    await expect(action.handler(escape)).rejects.toThrow(/outside/);
  });
});

describe('reliability:runbook:create', () => {
  it("writes the standard skeleton with the entity's owner and SLOs from the catalog", async () => {
    const action = createRunbookAction({ catalog, auth: mockServices.auth() });
    const workspacePath = tmp();
    const ctx = createMockActionContext({
      workspacePath,
      input: { entityRef: 'component:default/checkout' } as any,
    });
    await action.handler(ctx);
    const md = readFileSync(
      join(workspacePath, 'runbooks/checkout.md'),
      'utf8',
    );
    expect(md).toContain('# checkout runbook');
    expect(md).toContain('Owner: group:default/payments-sre');
    expect(md).toContain('## SLOs\n- checkout-success\n');
    for (const section of [
      'Dashboards',
      'Dependencies',
      'Guardrails',
      'Symptoms',
      'Checks',
      'Mitigations',
      'Comms',
    ])
      expect(md).toContain(`## ${section}`);
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath,
          input: { entityRef: 'component:default/nope' } as any,
        }),
      ),
    ).rejects.toThrow(
      'entityRef: no entity component:default/nope in the catalog (or not visible to you); give owner for a new one',
    );
    // a service the new-component template is creating
    await action.handler(
      createMockActionContext({
        workspacePath,
        input: {
          entityRef: 'component:default/ledger',
          owner: 'group:default/platform-sre',
          slos: ['ledger-availability'],
        } as any,
      }),
    );
    expect(
      readFileSync(join(workspacePath, 'runbooks/ledger.md'), 'utf8'),
    ).toContain('Owner: group:default/platform-sre');
  });
});

describe('reliability:chaos:create', () => {
  const experiment = {
    name: 'payment-latency',
    hypothesis: 'Checkout p95 stays under 1 s if PaymentSvc slows 30%',
    owner: 'group:default/payments-sre',
    author: 'user:default/mei',
    environment: 'staging',
    target: { namespace: 'payments', deployment: 'payment-svc' },
    blastRadius: { trafficPercent: 5 },
    injection: { type: 'latency', ms: 300 },
    duration: '10m',
    steadyState: { slo: 'default/checkout-success' },
    abortConditions: [{ type: 'budget-spent', percent: 5, within: '90s' }],
    rollback: ['tc qdisc del dev eth0 root netem'],
  };

  it('writes an experiment that passes the linter again', async () => {
    const workspacePath = tmp();
    const ctx = createMockActionContext({
      workspacePath,
      input: { entityRef: 'component:default/checkout', experiment } as any,
    });
    await createChaosAction().handler(ctx);
    const text = readFileSync(
      join(workspacePath, 'chaos/payment-latency.yaml'),
      'utf8',
    );
    expect(
      text.startsWith(
        '# Checkout p95 stays under 1 s if PaymentSvc slows 30%\n',
      ),
    ).toBe(true);
    expect(lintChaosExperiment(parse(text)).ok).toBe(true);
  });

  it('writes several injections, each keeping only the fields of its own fault', async () => {
    const workspacePath = tmp();
    const { injection: _, ...rest } = experiment;
    const ctx = createMockActionContext({
      workspacePath,
      input: {
        entityRef: 'component:default/checkout',
        experiment: {
          ...rest,
          name: 'payment-brownout',
          blastRadius: { trafficPercent: 5, podPercent: 5 },
          // a form holds every fault's fields; only the chosen fault's are kept
          injections: [
            { type: 'latency', ms: 1500, percent: 20 },
            { type: 'error-rate', percent: 20, ms: 1500, hosts: [] },
          ],
        },
      } as any,
    });
    await createChaosAction().handler(ctx);
    const written = parse(
      readFileSync(join(workspacePath, 'chaos/payment-brownout.yaml'), 'utf8'),
    );
    // the linted experiment is written, with the schema's defaults (jitterMs)
    expect(written.injections).toEqual([
      { type: 'latency', ms: 1500, jitterMs: 0 },
      { type: 'error-rate', percent: 20 },
    ]);
    expect(lintChaosExperiment(written).ok).toBe(true);
  });

  it("fails with the linter's violations, each with its field", async () => {
    const ctx = createMockActionContext({
      workspacePath: tmp(),
      input: {
        entityRef: 'component:default/checkout',
        experiment: {
          ...experiment,
          blastRadius: { trafficPercent: 50 },
          abortConditions: [],
        },
      } as any,
    });
    await expect(createChaosAction().handler(ctx)).rejects.toThrow(
      /^The experiment does not pass the linter: .*blastRadius\.trafficPercent: must be at most 10%.*abortConditions/,
    );
  });
});

describe('reliability:publish:local', () => {
  it('copies files into the catalog folder, registers the new catalog file once, and refuses to overwrite', async () => {
    const publishDir = tmp();
    const workspacePath = tmp();
    mkdirSync(join(workspacePath, 'slos'));
    writeFileSync(join(workspacePath, 'slos/a.yaml'), 'kind: SLO\n');
    const addLocation = jest.fn(async () => ({} as any));
    const action = publishLocalAction({
      catalog: { addLocation } as any,
      publishDir,
    });
    const dry = {
      ...createMockActionContext({
        workspacePath,
        input: {
          files: ['slos/a.yaml'],
          overwrite: false,
          register: true,
        } as any,
      }),
      isDryRun: true,
    };
    await action.handler(dry);
    expect(existsSync(join(publishDir, 'slos/a.yaml'))).toBe(false);
    const ctx = createMockActionContext({
      workspacePath,
      input: {
        files: ['slos/a.yaml'],
        overwrite: false,
        register: true,
      } as any,
    });
    await action.handler(ctx);
    expect(readFileSync(join(publishDir, 'slos/a.yaml'), 'utf8')).toBe(
      'kind: SLO\n',
    );
    expect(addLocation).toHaveBeenCalledWith(
      { type: 'file', target: join(publishDir, 'slos/a.yaml') },
      expect.anything(),
    );
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath,
          input: {
            files: ['slos/a.yaml'],
            overwrite: false,
            register: true,
          } as any,
        }),
      ),
    ).rejects.toThrow(
      'slos/a.yaml already exists in the catalog folder; choose another name or set overwrite',
    );
    await expect(
      action.handler(
        createMockActionContext({
          workspacePath,
          input: { files: ['../../x'], overwrite: true, register: true } as any,
        }),
      ),
    ).rejects.toThrow(/outside/);
    await expect(
      publishLocalAction({ catalog: { addLocation } as any }).handler(ctx),
    ).rejects.toThrow('reliability.scaffolder.publishDir is not configured');
    expect(addLocation).toHaveBeenCalledTimes(1);
  });

  it('refreshes the Location that reads the folder with a glob, instead of registering each file', async () => {
    const publishDir = tmp();
    const workspacePath = tmp();
    writeFileSync(join(workspacePath, 'b.yaml'), 'kind: SLO\n');
    const refreshEntity = jest.fn(async () => undefined);
    const addLocation = jest.fn();
    const ctx = createMockActionContext({
      workspacePath,
      input: { files: ['b.yaml'], overwrite: false, register: true } as any,
    });
    await publishLocalAction({
      catalog: { refreshEntity, addLocation } as any,
      publishDir,
      locationRef: 'location:default/reliability-generated',
    }).handler(ctx);
    expect(refreshEntity).toHaveBeenCalledWith(
      'location:default/reliability-generated',
      expect.anything(),
    );
    expect(addLocation).not.toHaveBeenCalled();
    expect(ctx.output).toHaveBeenCalledWith('registered', [
      'location:default/reliability-generated',
    ]);
  });
});
