import { dirname } from 'path';
import { mkdir, writeFile } from 'fs/promises';
import { stringify } from 'yaml';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import {
  chaosInjectionSchema,
  ChaosPolicy,
  DEFAULT_CHAOS_POLICY,
  lintChaosExperiment,
} from '@reliability-suite/plugin-reliability-common';
import { withoutEmpty } from '../form';

const INJECTION_FIELDS = new Map(
  chaosInjectionSchema.options.map(o => [
    o.shape.type.value as string,
    Object.keys(o.shape),
  ]),
);

/** One fault as the template's form gives it: the fields of the fault chosen, the others dropped. */
function keepFaultFields(fault: unknown): unknown {
  const f = fault as Record<string, unknown> | undefined;
  if (!f || typeof f !== 'object' || !INJECTION_FIELDS.has(String(f.type)))
    return fault;
  const keep = INJECTION_FIELDS.get(String(f.type))!;
  return Object.fromEntries(
    Object.entries(f).filter(([k]) => keep.includes(k)),
  );
}

/**
 * A template's form as the experiment: empty fields are not given, and the fields of faults not chosen are dropped
 * (in `injection`, and in each of `injections`).
 */
export function chaosFromTemplate(input: unknown): unknown {
  const e = withoutEmpty(input) as Record<string, any>;
  if (e?.injection) e.injection = keepFaultFields(e.injection);
  if (Array.isArray(e?.injections))
    e.injections = e.injections.map(keepFaultFields);
  return e;
}

/**
 * `reliability:chaos:create`: writes a chaos experiment that passes the suite's linter (the same rules and policy as
 * the portal's form and `yarn chaos:lint`); the linter's violations are the step's failure, each with its field.
 * @public
 */
export function createChaosAction(deps: { policy?: ChaosPolicy } = {}) {
  return createTemplateAction({
    id: 'reliability:chaos:create',
    description:
      "Writes a chaos experiment that passes the suite's linter (blast radius, abort conditions, rollback, approver)",
    examples: [
      {
        description:
          'A latency experiment on the payment service in staging, 5% of traffic, aborting at 5% of the budget',
        example: `steps:
  - id: chaos
    action: reliability:chaos:create
    input:
      entityRef: component:default/checkout
      experiment:
        name: payment-latency
        hypothesis: Checkout p95 stays under 1 s if PaymentSvc slows 30%
        owner: group:default/payments-sre
        environment: staging
        target: { namespace: payments, deployment: payment-svc }
        blastRadius: { trafficPercent: 5 }
        injection: { type: latency, ms: 300 }
        duration: 10m
        steadyState: { slo: default/checkout-success }
        abortConditions: [{ type: budget-spent, percent: 5, within: 90s }]
        rollback: [tc qdisc del dev eth0 root netem]`,
      },
    ],
    supportsDryRun: true,
    schema: {
      input: {
        entityRef: z =>
          z.string().describe('The entity the experiment is about'),
        experiment: z =>
          z
            .record(z.unknown())
            .describe('The experiment (see the chaos section of the README)'),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe('Where to write it (default chaos/<name>.yaml)'),
      },
      output: {
        path: z => z.string(),
        yaml: z => z.string(),
      },
    },
    async handler(ctx) {
      const lint = lintChaosExperiment(
        chaosFromTemplate(ctx.input.experiment),
        { policy: deps.policy ?? DEFAULT_CHAOS_POLICY },
      );
      if (!lint.ok || !lint.experiment) {
        throw new InputError(
          `The experiment does not pass the linter: ${lint.violations
            .map(v => `${v.field}: ${v.message}`)
            .join('; ')}`,
        );
      }
      // the same shape as the experiments kept as code beside the entity (catalog/chaos/experiments), linted again by yarn chaos:lint
      const yaml = `# ${lint.experiment.hypothesis.replace(
        /\n/g,
        ' ',
      )}\n${stringify(lint.experiment, { lineWidth: 0 })}`;
      const rel = ctx.input.targetPath ?? `chaos/${lint.experiment.name}.yaml`;
      const file = resolveSafeChildPath(ctx.workspacePath, rel);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, yaml, 'utf8');
      ctx.output('path', rel);
      ctx.output('yaml', yaml);
    },
  });
}
