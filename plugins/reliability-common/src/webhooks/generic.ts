import { z } from 'zod';
import {
  formatJsonPointer,
  JsonPointer,
  parseJsonPointer,
  resolveJsonPointer,
} from './jsonPointer';
import { isWebhookLabelName, scalarLabel } from './labels';

/**
 * A generic signed webhook (`reliability.webhooks.generic.<name>`): how its signature is checked and how its JSON
 * payload maps to a remediation trigger, each label and annotation a JSON pointer into the payload. Pure: no I/O.
 */

const pointer = z.string().superRefine((text, ctx) => {
  const r = parseJsonPointer(text);
  if (!r.ok) ctx.addIssue({ code: z.ZodIssueCode.custom, message: r.error });
});

const pointers = z.record(pointer).superRefine((record, ctx) => {
  const names = Object.keys(record);
  if (names.length > 64)
    ctx.addIssue({
      code: z.ZodIssueCode.custom,
      message: 'at most 64 entries',
    });
  for (const name of names)
    if (!isWebhookLabelName(name))
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: [name],
        message:
          'must be a label name: a letter or _, then letters, digits, _ or .',
      });
});

/** One generic webhook as configured. @public */
export const genericWebhookConfigSchema = z
  .object({
    secret: z.string().min(16, 'must be at least 16 characters'),
    signatureHeader: z.string().min(1).max(100).default('X-Signature-256'),
    signaturePrefix: z.string().max(50).default('sha256='),
    timestampHeader: z.string().min(1).max(100).optional(),
    toleranceSeconds: z
      .number()
      .int('must be a whole number of seconds')
      .positive('must be positive')
      .max(86_400, 'must be at most 86400 (a day)')
      .default(300),
    idPath: pointer,
    labels: pointers,
    annotations: pointers.optional(),
    entityRefPath: pointer.optional(),
  })
  .strict();

/** One generic webhook's configuration, with its defaults. @public */
export type GenericWebhookConfig = z.infer<typeof genericWebhookConfigSchema>;

/** A generic webhook's mapping with its pointers parsed. @public */
export interface GenericWebhookMapping {
  idPath: JsonPointer;
  labels: Array<[string, JsonPointer]>;
  annotations: Array<[string, JsonPointer]>;
  entityRefPath?: JsonPointer;
}

const parsed = (text: string): JsonPointer => {
  const r = parseJsonPointer(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
};

/** The mapping of a checked configuration. @public */
export function genericWebhookMapping(
  config: GenericWebhookConfig,
): GenericWebhookMapping {
  return {
    idPath: parsed(config.idPath),
    labels: Object.entries(config.labels).map(([k, v]) => [k, parsed(v)]),
    annotations: Object.entries(config.annotations ?? {}).map(([k, v]) => [
      k,
      parsed(v),
    ]),
    entityRefPath: config.entityRefPath
      ? parsed(config.entityRefPath)
      : undefined,
  };
}

/** What a payload maps to: its id, labels, annotations and entity (or why it cannot). @public */
export type GenericWebhookMapped =
  | {
      ok: true;
      id: string;
      labels: Record<string, string>;
      annotations: Record<string, string>;
      entityRef?: string;
    }
  | { ok: false; error: string };

/**
 * Maps a payload: the id (a string or number at `idPath`, required), each label and annotation whose pointer
 * refers to a scalar (others are left out), and the entity ref when `entityRefPath` refers to a string. @public
 */
export function mapGenericWebhook(
  mapping: GenericWebhookMapping,
  payload: unknown,
): GenericWebhookMapped {
  const id = scalarLabel(resolveJsonPointer(payload, mapping.idPath));
  const idText = formatJsonPointer(mapping.idPath);
  if (id === undefined || id === '' || typeof id !== 'string')
    return {
      ok: false,
      error: `the id at ${idText} (idPath) is missing: it must be a non-empty string or number`,
    };
  if (id.length > 200)
    return {
      ok: false,
      error: `the id at ${idText} (idPath) must be at most 200 characters`,
    };
  const collect = (entries: Array<[string, JsonPointer]>) => {
    const out: Record<string, string> = {};
    for (const [name, p] of entries) {
      const v = scalarLabel(resolveJsonPointer(payload, p));
      if (v !== undefined) out[name] = v;
    }
    return out;
  };
  const ref = mapping.entityRefPath
    ? resolveJsonPointer(payload, mapping.entityRefPath)
    : undefined;
  return {
    ok: true,
    id,
    labels: collect(mapping.labels),
    annotations: collect(mapping.annotations),
    entityRef: typeof ref === 'string' && ref.length <= 500 ? ref : undefined,
  };
}
