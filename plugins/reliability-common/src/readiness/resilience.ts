import { z } from 'zod';
import { parseDocument as parseYamlDocument } from 'yaml';

/**
 * The resilience file a service declares beside its catalog file (annotation `reliability.io/resilience`): for
 * each dependency it calls, the timeout of one attempt, how many times a failed attempt is retried, the pause
 * between attempts, the client's deadline for the whole call, and the circuit breaker in front of it. The readiness
 * review checks that they fit together: the timeout below the retry budget, the retry budget below the deadline.
 */

/** The entity annotation naming the resilience file (a path relative to the catalog file, or an http(s) URL). @public */
export const ANNOTATION_RESILIENCE = 'reliability.io/resilience';
/** A resilience file larger than this is refused. @public */
export const MAX_RESILIENCE_FILE_BYTES = 64 * 1024;
/** At most this many dependencies in one file. @public */
export const MAX_RESILIENCE_DEPENDENCIES = 200;

const MS_RE = /^(\d{1,7})(ms|s|m)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000 };

/** A duration such as `800ms`, `2s` or `1m` (or a number of milliseconds), in milliseconds. */
const millis = z
  .union([z.string(), z.number()], {
    required_error: 'is required',
    invalid_type_error: 'must be a duration such as 800ms, 2s or 1m',
  })
  .transform((v, ctx) => {
    let ms = NaN;
    if (typeof v === 'number') ms = v;
    else {
      const m = MS_RE.exec(v.trim());
      if (m) ms = Number(m[1]) * UNIT_MS[m[2]];
    }
    if (!Number.isInteger(ms) || ms < 0 || ms > 3_600_000) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: `must be a duration such as 800ms, 2s or 1m (at most 1h), got '${String(
          v,
        ).slice(0, 40)}'`,
      });
      return z.NEVER;
    }
    return ms;
  });

const NAME_RE = /^[a-z0-9][a-z0-9_.-]{0,62}$/i;

/** One dependency the service calls, and how it calls it. @public */
export const resilienceDependencySchema = z
  .object({
    name: z
      .string({ required_error: 'is required' })
      .regex(
        NAME_RE,
        'must be a name of letters, digits, ., _ and - (at most 63)',
      ),
    /** One attempt's timeout. */
    timeout: millis,
    /** Retries after the first attempt (0: none). */
    retries: z
      .number({
        required_error: 'is required',
        invalid_type_error: 'must be a whole number',
      })
      .int('must be a whole number')
      .min(0, 'must be >= 0')
      .max(10, 'must be at most 10'),
    /** The pause before each retry (default 0). */
    backoff: millis.optional(),
    /** The client's deadline for the whole call, retries included. */
    deadline: millis,
    /** The circuit breaker in front of the dependency. */
    breaker: z
      .object({
        failureRate: z
          .number({ invalid_type_error: 'must be a share such as 0.5' })
          .gt(0, 'must be > 0')
          .max(1, 'must be at most 1'),
        openFor: millis,
      })
      .strict()
      .optional(),
  })
  .strict();

/** The resilience file. @public */
export const resilienceFileSchema = z
  .object({
    apiVersion: z.literal('reliability.io/v1', {
      errorMap: () => ({ message: "must be 'reliability.io/v1'" }),
    }),
    kind: z.literal('Resilience', {
      errorMap: () => ({ message: "must be 'Resilience'" }),
    }),
    dependencies: z
      .array(resilienceDependencySchema, { required_error: 'is required' })
      .min(1, 'must list at least one dependency')
      .max(
        MAX_RESILIENCE_DEPENDENCIES,
        `must list at most ${MAX_RESILIENCE_DEPENDENCIES} dependencies`,
      ),
  })
  .strict();

/** @public */
export type ResilienceFile = z.infer<typeof resilienceFileSchema>;
/** @public */
export type ResilienceDependency = z.infer<typeof resilienceDependencySchema>;

const renderPath = (p: (string | number)[]) => {
  let out = '';
  for (const k of p) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${k}` : k;
  }
  return out || '(file)';
};

/**
 * Reads a resilience file (YAML or JSON text): the file, or the first problems each naming its field path
 * (`dependencies[1].timeout: must be a duration ...`). Never throws.
 * @public
 */
export function parseResilienceFile(
  text: string,
): { ok: true; value: ResilienceFile } | { ok: false; errors: string[] } {
  if (text.length > MAX_RESILIENCE_FILE_BYTES)
    return {
      ok: false,
      errors: [`(file): larger than ${MAX_RESILIENCE_FILE_BYTES} bytes`],
    };
  let raw: unknown;
  try {
    const doc = parseYamlDocument(text, { prettyErrors: false });
    if (doc.errors.length)
      return {
        ok: false,
        errors: [`(file): not valid YAML: ${doc.errors[0].message}`],
      };
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return {
      ok: false,
      errors: [`(file): not valid YAML: ${(e as Error).message}`],
    };
  }
  const parsed = resilienceFileSchema.safeParse(raw);
  if (parsed.success) {
    const seen = new Set<string>();
    for (const [i, d] of parsed.data.dependencies.entries()) {
      const key = d.name.toLocaleLowerCase('en-US');
      if (seen.has(key))
        return {
          ok: false,
          errors: [`dependencies[${i}].name: '${d.name}' is listed twice`],
        };
      seen.add(key);
    }
    return { ok: true, value: parsed.data };
  }
  return {
    ok: false,
    errors: parsed.error.issues
      .slice(0, 5)
      .map(i => `${renderPath(i.path)}: ${i.message}`),
  };
}

/** One dependency's figures, and what is wrong with them. @public */
export interface ResilienceCheck {
  name: string;
  timeoutMs: number;
  retries: number;
  /** The time every attempt may take: timeout × (retries + 1) + backoff × retries. */
  retryBudgetMs: number;
  deadlineMs: number;
  breaker: boolean;
  /** Empty when consistent. */
  problems: string[];
}

/**
 * The retry budget of a dependency: the longest the client may spend on it when every attempt times out,
 * `timeout × (retries + 1) + backoff × retries`.
 * @public
 */
export function retryBudgetMs(d: ResilienceDependency): number {
  return d.timeout * (d.retries + 1) + (d.backoff ?? 0) * d.retries;
}

const fmt = (ms: number) =>
  ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;

/**
 * Checks each dependency: the timeout below the retry budget, below the deadline (with no retry the budget is the timeout itself, and
 * the timeout must be under the deadline), a timeout above zero, and a breaker declared. Pure.
 * @public
 */
export function checkResilience(file: ResilienceFile): ResilienceCheck[] {
  return file.dependencies.map(d => {
    const budget = retryBudgetMs(d);
    const problems: string[] = [];
    if (d.timeout === 0) problems.push('timeout is 0: calls never time out');
    if (d.retries > 0 && !(d.timeout < budget))
      problems.push(
        `timeout ${fmt(d.timeout)} is not below the retry budget ${fmt(
          budget,
        )}`,
      );
    if (!(budget < d.deadline))
      problems.push(
        d.retries > 0
          ? `retry budget ${fmt(budget)} (${fmt(d.timeout)} × ${
              d.retries + 1
            } attempts${
              d.backoff ? ` + ${fmt(d.backoff)} × ${d.retries} backoff` : ''
            }) is not below the deadline ${fmt(
              d.deadline,
            )}: the last retries are cut off`
          : `timeout ${fmt(d.timeout)} is not below the deadline ${fmt(
              d.deadline,
            )}`,
      );
    if (!d.breaker) problems.push('no circuit breaker declared');
    return {
      name: d.name,
      timeoutMs: d.timeout,
      retries: d.retries,
      retryBudgetMs: budget,
      deadlineMs: d.deadline,
      breaker: Boolean(d.breaker),
      problems,
    };
  });
}
