import { dirname } from 'path';
import { mkdir, writeFile } from 'fs/promises';
import { InputError } from '@backstage/errors';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import {
  buildOpenSlo,
  describeWindow,
  formatTarget,
  sloSliInputSchema,
} from '@reliability-suite/plugin-reliability-common';
import { withoutEmpty } from '../form';

const examples = [
  {
    description:
      'An availability SLO of checkout from the built-in ingest, alerting with the SRE workbook table',
    example: `steps:
  - id: slo
    action: reliability:slo:create
    input:
      slo:
        name: checkout-availability
        component: component:default/checkout
        sli: { type: availability }
        objectivePercent: 99.9
        window: { duration: 30d, type: rolling }
        alerting: { policy: workbook }
        runbook: https://runbooks.example/checkout`,
  },
  {
    description:
      'A latency SLO from a Prometheus histogram (requests under 300 ms), on a calendar month, custom alert rows',
    example: `steps:
  - id: slo
    action: reliability:slo:create
    input:
      targetPath: slos/otp-verify-latency.yaml
      slo:
        name: otp-verify-latency
        component: component:default/login-otp
        sli: { type: latency, histogram: http_request_duration_seconds, selector: 'route="/otp/verify"', thresholdSeconds: 0.3 }
        source: { type: prometheus, instance: main }
        objectivePercent: 95
        window: { duration: 1M, type: calendar, timeZone: Europe/Berlin }
        alerting: { policy: custom, rows: [{ severity: page, burnRate: 10, window: 1h }] }`,
  },
];

const SLI_FIELDS = new Map(
  sloSliInputSchema.options.map(o => [
    o.shape.type.value as string,
    Object.keys(o.shape),
  ]),
);

/**
 * A template's form as the SLO input: empty optional fields mean "not given", and fields of the SLI types or alert
 * policies the user did not choose (a form keeps them when the choice changes) are dropped.
 */
export function fromTemplate(input: unknown): unknown {
  const slo = withoutEmpty(input) as Record<string, any>;
  if (slo?.sli && typeof slo.sli === 'object' && SLI_FIELDS.has(slo.sli.type)) {
    const keep = SLI_FIELDS.get(slo.sli.type)!;
    slo.sli = Object.fromEntries(
      Object.entries(slo.sli).filter(([k]) => keep.includes(k)),
    );
  }
  if (slo?.alerting?.policy === 'workbook')
    slo.alerting = { policy: 'workbook' };
  return slo;
}

/**
 * `reliability:slo:create`: writes a valid OpenSLO SLO file into the workspace, checked with the same parser the
 * catalog uses (a bad input fails the step, naming the field). Outputs the path, the YAML (for a preview) and the
 * SLO's entity ref. A dry run writes the same file into the dry run's workspace.
 * @public
 */
export function createSloAction() {
  return createTemplateAction({
    id: 'reliability:slo:create',
    description:
      'Writes an OpenSLO v1 SLO for a component (availability, latency, a synthetic journey or PromQL; ingest or Prometheus)',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        // checked in the handler with -common's sloCreateInputSchema (the catalog's rules), each error naming its field
        slo: z =>
          z
            .record(z.unknown())
            .describe(
              'The SLO: name, component (entity ref), sli ({type: availability|latency|synthetic|prometheus, ...}), objectivePercent, window ({duration, type: rolling|calendar, timeZone}), alerting ({policy: workbook} or {policy: custom, rows: [{severity, burnRate, window}]}), source ({type: ingest} or {type: prometheus, instance}), runbook',
            ),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Where to write it in the workspace (default slos/<name>.yaml)',
            ),
      },
      output: {
        path: z =>
          z.string().describe('The file written, relative to the workspace'),
        yaml: z => z.string().describe('The SLO document'),
        entityRef: z =>
          z
            .string()
            .describe(
              'The SLO entity, such as slo:default/checkout-availability',
            ),
      },
    },
    async handler(ctx) {
      const built = buildOpenSlo(fromTemplate(ctx.input.slo));
      if (!built.ok) throw new InputError(`Invalid SLO: ${built.error}`);
      const rel = ctx.input.targetPath ?? `slos/${built.definition.name}.yaml`;
      const file = resolveSafeChildPath(ctx.workspacePath, rel);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, built.yaml, 'utf8');
      ctx.logger.info(
        `${ctx.isDryRun ? 'Dry run: ' : ''}wrote ${rel} (${
          built.definition.ref
        }, ${formatTarget(built.definition.target)} over ${describeWindow(
          built.definition.window,
        )})`,
      );
      ctx.output('path', rel);
      ctx.output('yaml', built.yaml);
      ctx.output(
        'entityRef',
        `slo:${built.definition.namespace}/${built.definition.name}`,
      );
    },
  });
}
