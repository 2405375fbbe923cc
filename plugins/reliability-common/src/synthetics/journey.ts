import { z } from 'zod';
import { durationMs, parseDuration } from '../math/duration';
import { NAME, REGION } from './names';

/** A synthetic journey and its steps, as an entity defines them: the schemas (the API's shapes are in api.ts). */

const text = (max: number) =>
  z
    .string({
      required_error: 'is required',
      invalid_type_error: 'must be text',
    })
    .max(max, `must be at most ${max} characters`);
/** A template such as `https://shop.example/cart/{{cartId}}`: values extracted by earlier steps, and `{{secrets.NAME}}`. */
const template = (max: number) => text(max).min(1, 'is required');

const jsonPath = text(300).refine(
  v => v.startsWith('$'),
  'must be a JSONPath starting with $ (such as $.items[0].id)',
);

/** What a response must show. @public */
export const syntheticAssertionSchema = z.union([
  z
    .object({
      jsonPath,
      equals: z
        .union([z.string(), z.number(), z.boolean(), z.null()])
        .optional(),
      exists: z.boolean().optional(),
    })
    .strict(),
  z.object({ contains: text(1_000).min(1) }).strict(),
  z.object({ notContains: text(1_000).min(1) }).strict(),
]);

/** A value taken from a response for later steps (`{{name}}`). @public */
export const syntheticExtractSchema = z.union([
  z
    .object({
      name: z
        .string()
        .regex(
          /^[a-zA-Z_][a-zA-Z0-9_]{0,40}$/,
          'must be a name such as cartId',
        ),
      jsonPath,
    })
    .strict(),
  z
    .object({
      name: z
        .string()
        .regex(
          /^[a-zA-Z_][a-zA-Z0-9_]{0,40}$/,
          'must be a name such as cartId',
        ),
      header: text(200).min(1),
    })
    .strict(),
]);

/** One action of a browser step (playwright-core on the machine's Chromium). @public */
export const syntheticBrowserActionSchema = z.union([
  z.object({ goto: template(2_000) }).strict(),
  z
    .object({
      fill: text(300).min(1, 'must name a selector'),
      value: template(2_000),
    })
    .strict(),
  z.object({ click: text(300).min(1, 'must name a selector') }).strict(),
  z.object({ expectText: text(1_000).min(1, 'is required') }).strict(),
]);

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;

/** Engines of the deep checks (database and queue steps). @public */
export const SYNTHETIC_DATABASE_ENGINES = ['postgres', 'mysql'] as const;
/** @public */
export const SYNTHETIC_QUEUE_ENGINES = ['redis', 'amqp', 'nats'] as const;
/** OCSP stapling in a TLS step: not asked, asked and reported, or required (no staple fails). @public */
export const SYNTHETIC_OCSP_MODES = ['off', 'report', 'require'] as const;

/** The statements a database step's query may start with (it also runs in a READ ONLY transaction). @public */
export const SYNTHETIC_READ_ONLY_STATEMENTS = [
  'select',
  'with',
  'show',
  'values',
  'explain',
  'table',
] as const;

/** Whether a query is one read-only statement by its first word (no `;` before its end). @public */
export function syntheticQueryProblem(query: string): string | undefined {
  let body = query.trim();
  if (body.endsWith(';')) body = body.slice(0, -1).trim();
  if (!body) return 'is required';
  if (body.includes(';')) return 'must be one statement (no ;)';
  let i = 0;
  const letter = (c: string) =>
    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  while (i < body.length && letter(body[i])) i++;
  const first = body.slice(0, i).toLowerCase();
  return (SYNTHETIC_READ_ONLY_STATEMENTS as readonly string[]).includes(first)
    ? undefined
    : `must start with ${SYNTHETIC_READ_ONLY_STATEMENTS.join(
        ', ',
      )} (read-only)`;
}

const hostName = z
  .string({ required_error: 'is required' })
  .regex(/^[a-zA-Z0-9.-]{1,253}$/, 'must be a host name');
/** The name of a `reliability.synthetics.secrets` entry: credentials never live in a journey. */
const secretName = z
  .string({ invalid_type_error: 'must be text' })
  .regex(
    /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/,
    'must name a reliability.synthetics.secrets entry (such as dbPassword)',
  );
const user = z
  .string({ invalid_type_error: 'must be text' })
  .regex(/^[a-zA-Z0-9_.@-]{1,63}$/, 'must be a user name');
/** Each deep check's own limit, inside the journey's deadline. */
const stepTimeout = z
  .number({ invalid_type_error: 'must be a number of milliseconds' })
  .int()
  .min(100, 'must be at least 100')
  .max(60_000, 'must be at most 60000')
  .default(5_000);

/** The steps of a journey: HTTP requests, browser steps, and deep checks (TLS, DNS, database, queue, webhook). @public */
export const syntheticStepSchema = z.discriminatedUnion(
  'type',
  [
    z
      .object({
        type: z.literal('http'),
        name: text(80).min(1, 'is required'),
        method: z
          .enum(HTTP_METHODS, {
            errorMap: () => ({
              message: `must be one of ${HTTP_METHODS.join(', ')}`,
            }),
          })
          .default('GET'),
        url: template(2_000),
        headers: z
          .record(
            z.string().regex(/^[A-Za-z0-9-]{1,100}$/, 'must be a header name'),
            template(2_000),
          )
          .default({}),
        body: z.union([text(100_000), z.record(z.unknown())]).optional(),
        /** The status it must answer (default: any 2xx). */
        expectStatus: z
          .union([
            z.number().int().min(100).max(599),
            z.array(z.number().int().min(100).max(599)).min(1).max(20),
          ])
          .optional(),
        assert: z
          .array(syntheticAssertionSchema)
          .max(20, 'must list at most 20 assertions')
          .default([]),
        extract: z
          .array(syntheticExtractSchema)
          .max(20, 'must list at most 20 values')
          .default([]),
      })
      .strict(),
    z
      .object({
        type: z.literal('tls'),
        name: text(80).min(1, 'is required'),
        host: z.string().regex(/^[a-zA-Z0-9.-]{1,253}$/, 'must be a host name'),
        port: z.number().int().min(1).max(65535).default(443),
        /** A certificate expiring within this many days is a warning (not a failure). */
        warnDays: z.number().int().min(1).max(365).default(14),
        /** Accept a chain the runner's trust store does not (a private CA); expiry is still checked. */
        allowUntrusted: z.boolean().default(false),
        /**
         * OCSP stapling: `report` (default) asks for the staple and reports its status (a revoked certificate fails);
         * `require` also fails without a good, current staple; `off` does not ask.
         */
        ocsp: z
          .enum(SYNTHETIC_OCSP_MODES, {
            errorMap: () => ({
              message: `must be one of ${SYNTHETIC_OCSP_MODES.join(', ')}`,
            }),
          })
          .default('report'),
      })
      .strict(),
    z
      .object({
        type: z.literal('browser'),
        name: text(80).min(1, 'is required'),
        /** Navigate, fill, click, expect text; runs only where `reliability.synthetics.browser.enabled` is true. */
        actions: z
          .array(syntheticBrowserActionSchema)
          .min(1, 'needs at least one action')
          .max(30, 'must list at most 30 actions'),
      })
      .strict(),
    z
      .object({
        type: z.literal('dns'),
        name: text(80).min(1, 'is required'),
        hostname: z
          .string()
          .regex(/^[a-zA-Z0-9.-]{1,253}$/, 'must be a host name'),
        /** Addresses the name must resolve to (any of them present passes). */
        expect: z.array(z.string().max(64)).max(20).optional(),
      })
      .strict(),
    z
      .object({
        type: z.literal('database'),
        name: text(80).min(1, 'is required'),
        engine: z.enum(SYNTHETIC_DATABASE_ENGINES, {
          errorMap: () => ({
            message: `must be one of ${SYNTHETIC_DATABASE_ENGINES.join(', ')}`,
          }),
        }),
        host: hostName,
        /** Default 5432 (postgres) or 3306 (mysql). */
        port: z.number().int().min(1).max(65535).optional(),
        database: z
          .string()
          .regex(/^[a-zA-Z0-9_$-]{1,63}$/, 'must be a database name')
          .optional(),
        user: user.optional(),
        /** The password, by its name in `reliability.synthetics.secrets`. */
        passwordSecret: secretName.optional(),
        /** After `SELECT 1`: one read-only statement, run in a READ ONLY transaction that is rolled back. */
        query: text(2_000)
          .superRefine((v, c) => {
            const problem = syntheticQueryProblem(v);
            if (problem) c.addIssue({ code: 'custom', message: problem });
          })
          .optional(),
        /** The query must answer at least this many rows (default 1 when a query is given). */
        minRows: z.number().int().min(0).max(1_000_000).optional(),
        timeoutMs: stepTimeout,
      })
      .strict(),
    z
      .object({
        type: z.literal('queue'),
        name: text(80).min(1, 'is required'),
        /** Publish → consume loopback on a stream, queue or subject of its own, removed afterwards. */
        engine: z.enum(SYNTHETIC_QUEUE_ENGINES, {
          errorMap: () => ({
            message: `must be one of ${SYNTHETIC_QUEUE_ENGINES.join(', ')}`,
          }),
        }),
        host: hostName,
        /** Default 6379 (redis), 5672 (amqp) or 4222 (nats). */
        port: z.number().int().min(1).max(65535).optional(),
        user: user.optional(),
        passwordSecret: secretName.optional(),
        /** The AMQP virtual host (default /). */
        vhost: z
          .string()
          .regex(/^[a-zA-Z0-9/_.-]{1,100}$/, 'must be a virtual host name')
          .optional(),
        timeoutMs: stepTimeout,
      })
      .strict(),
    z
      .object({
        type: z.literal('webhook'),
        name: text(80).min(1, 'is required'),
        /** The canary endpoint (the suite's own: `<backend>/api/reliability/synthetics/canary`). */
        url: template(2_000),
        /** The HMAC-SHA256 key, by its name in `reliability.synthetics.secrets`. */
        secret: secretName,
        timeoutMs: stepTimeout,
      })
      .strict(),
  ],
  {
    errorMap: (issue, ctx) => ({
      message:
        issue.code === 'invalid_union_discriminator'
          ? 'must be http, tls, dns, browser, database, queue or webhook'
          : ctx.defaultError,
    }),
  },
);

/** @public */
export type SyntheticStep = z.infer<typeof syntheticStepSchema>;

const frequency = z.string({ required_error: 'is required' }).refine(v => {
  const d = parseDuration(v);
  return Boolean(
    d &&
      ['s', 'm', 'h'].includes(d.unit) &&
      durationMs(d) >= 30_000 &&
      durationMs(d) <= 86_400_000,
  );
}, 'must be a duration between 30s and 24h, such as 5m');

/** A synthetic journey of an entity: where and how often it runs, its deadline, and its steps. @public */
export const syntheticJourneySchema = z
  .object({
    name: z
      .string({ required_error: 'is required' })
      .regex(
        NAME,
        'must be lowercase letters, digits, _ and - (at most 63), such as checkout_full',
      ),
    regions: z
      .array(
        z.string().regex(REGION, 'must be a region such as ap-sg or us-east'),
      )
      .min(1, 'needs at least one region')
      .max(20),
    frequency,
    /** The whole journey must finish within this; a hung journey is cut here. */
    deadlineMs: z
      .number({
        required_error: 'is required',
        invalid_type_error: 'must be a number of milliseconds',
      })
      .int()
      .min(100, 'must be at least 100')
      .max(300_000, 'must be at most 300000'),
    steps: z
      .array(syntheticStepSchema)
      .max(20, 'must list at most 20 steps')
      .default([]),
  })
  .strict();

/** @public */
export type SyntheticJourney = z.infer<typeof syntheticJourneySchema>;
