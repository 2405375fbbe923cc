import { readdirSync, readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import Ajv from 'ajv';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { mockServices } from '@backstage/backend-test-utils';
import { createSloAction } from './slos/createSloAction';
import { createRunbookAction } from './runbooks/createRunbookAction';
import { createChaosAction } from './chaos/createChaosAction';
import { createChaosDraftAction } from './chaos/createChaosDraftAction';
import { publishLocalAction } from './publish/publishLocalAction';

const TEMPLATES = join(__dirname, '../../../catalog/templates');
const LOCATION = join(__dirname, '../../../catalog/templates.yaml');
/** Actions of Backstage's scaffolder backend the templates may use besides ours. */
const BUILT_IN = new Set([
  'fetch:template',
  'fetch:plain',
  'catalog:register',
  'catalog:write',
  'debug:log',
  'publish:github:pull-request',
  'publish:gitlab:merge-request',
]);

const ours = [
  createSloAction(),
  createRunbookAction({
    catalog: catalogServiceMock(),
    auth: mockServices.auth(),
  }),
  createChaosAction(),
  createChaosDraftAction({
    discovery: mockServices.discovery(),
    auth: mockServices.auth(),
  }),
  publishLocalAction({ catalog: catalogServiceMock() }),
];
const inputKeys = new Map(
  ours.map(a => [
    a.id,
    Object.keys((a.schema?.input as any)?.properties ?? {}),
  ]),
);

describe('the templates in catalog/templates', () => {
  const names = readdirSync(TEMPLATES);

  it('are the four the README names, all loaded by catalog/templates.yaml', () => {
    expect(names.sort()).toEqual([
      'new-chaos-experiment',
      'new-runbook',
      'new-service',
      'new-slo',
    ]);
    expect(parse(readFileSync(LOCATION, 'utf8')).spec.targets.sort()).toEqual(
      names.map(n => `./templates/${n}/template.yaml`).sort(),
    );
  });

  it.each(names)(
    '%s: valid parameter schemas, and every step calls a registered action with inputs it knows',
    name => {
      const t = parse(
        readFileSync(join(TEMPLATES, name, 'template.yaml'), 'utf8'),
      );
      expect([t.apiVersion, t.kind]).toEqual([
        'scaffolder.backstage.io/v1beta3',
        'Template',
      ]);
      const ajv = new Ajv({ strict: false });
      for (const page of t.spec.parameters)
        expect(() => ajv.compile(page)).not.toThrow();
      expect(t.spec.steps.length).toBeGreaterThan(0);
      for (const step of t.spec.steps) {
        const known = inputKeys.get(step.action);
        expect(known !== undefined || BUILT_IN.has(step.action)).toBe(true);
        // every input key of one of our actions is one it knows (built-in actions' inputs are theirs to check)
        const unknown = Object.keys(step.input ?? {}).filter(
          key => known !== undefined && !known.includes(key),
        );
        expect([step.action, unknown]).toEqual([step.action, []]);
      }
      // a reliability template publishes what it wrote
      expect(t.spec.steps.at(-1).action).toBe('reliability:publish:local');
    },
  );

  it('new-slo asks for the component with the EntityPicker and offers every SLI type with its own fields', () => {
    const t = parse(
      readFileSync(join(TEMPLATES, 'new-slo/template.yaml'), 'utf8'),
    );
    const first = t.spec.parameters[0];
    expect(first.properties.component['ui:field']).toBe('EntityPicker');
    expect(
      first.dependencies.sliType.oneOf.map(
        (o: any) => o.properties.sliType.const,
      ),
    ).toEqual(['availability', 'latency', 'synthetic', 'prometheus']);
    expect(
      first.dependencies.sliType.oneOf.find(
        (o: any) => o.properties.sliType.const === 'synthetic',
      ).required,
    ).toEqual(['journey']);
    // availability and latency ask where the counts come from
    const options = first.dependencies.sliType.oneOf;
    for (const type of ['availability', 'latency'])
      expect([
        type,
        options.find((o: any) => o.properties.sliType.const === type).properties
          .source?.title,
      ]).toEqual([type, 'Counts from']);
  });

  it('puts no ui: option on a field that several conditional branches share (the scaffolder applies it to every branch)', () => {
    for (const name of readdirSync(TEMPLATES)) {
      const t = parse(
        readFileSync(join(TEMPLATES, name, 'template.yaml'), 'utf8'),
      );
      for (const page of [t.spec.parameters].flat()) {
        for (const dep of Object.values<any>(page.dependencies ?? {})) {
          const branches: Record<string, any>[] = (dep.oneOf ?? []).map(
            (o: any) => o.properties ?? {},
          );
          for (const [i, props] of branches.entries()) {
            for (const [field, schema] of Object.entries<any>(props)) {
              const ui = Object.keys(schema).filter(k => k.startsWith('ui:'));
              const shared = branches.some(
                (other, j) => j !== i && field in other,
              );
              expect([name, field, ui.length > 0 && shared]).toEqual([
                name,
                field,
                false,
              ]);
            }
          }
        }
      }
    }
  });
});
