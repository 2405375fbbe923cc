import { parseAllDocuments } from 'yaml';
import {
  ChaosLintContext,
  ChaosViolation,
  lintChaosExperiment,
} from '@reliability-suite/plugin-reliability-common';

/** Experiment files are small; a larger one is refused rather than parsed. */
export const MAX_EXPERIMENT_FILE_BYTES = 1_000_000;

/** One document of an experiment file, linted. */
export interface LintedDocument {
  name: string | null;
  ok: boolean;
  violations: ChaosViolation[];
}

/**
 * Lints every YAML document of an experiment file (empty documents are skipped); a syntax error is a violation
 * of the `(yaml)` field. Shared by `yarn chaos:lint` and the portal's view of an entity's experiment folder.
 */
export function lintExperimentYaml(
  text: string,
  context: ChaosLintContext,
): LintedDocument[] {
  if (text.length > MAX_EXPERIMENT_FILE_BYTES) {
    return [
      {
        name: null,
        ok: false,
        violations: [
          {
            field: '(file)',
            rule: 'size',
            message: `is larger than ${MAX_EXPERIMENT_FILE_BYTES} bytes; not an experiment file`,
          },
        ],
      },
    ];
  }
  const out: LintedDocument[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length) {
      out.push({
        name: null,
        ok: false,
        violations: [
          {
            field: '(yaml)',
            rule: 'syntax',
            message: doc.errors[0].message.split('\n')[0],
          },
        ],
      });
      continue;
    }
    const value = doc.toJS({ maxAliasCount: 100 });
    if (value === null || value === undefined) continue;
    const r = lintChaosExperiment(value, context);
    const name =
      typeof value === 'object' &&
      typeof (value as { name?: unknown }).name === 'string'
        ? (value as { name: string }).name
        : null;
    out.push({ name, ok: r.ok, violations: r.violations });
  }
  return out;
}
