import { z } from 'zod';
import { pageParams } from '../model/pagination';
import { entityRefParam } from '../model/params';

/** The REST shapes of alerts: the alert list, Alertmanager's webhook and alerts, and the commander's rows. */

/** GET /alerts query. @public */
export const alertsQuerySchema = z
  .object({
    entityRef: entityRefParam.optional(),
    state: z
      .enum(['pending', 'firing', 'resolved', 'active'], {
        errorMap: () => ({
          message: 'must be one of pending, firing, resolved, active',
        }),
      })
      .optional(),
    ...pageParams,
  })
  .strict();

const amLabels = z.record(
  z.string({ invalid_type_error: 'label values must be strings' }),
);

/** Alertmanager's webhook payload, version 4. @public */
export const alertmanagerWebhookSchema = z.object({
  version: z.literal('4', {
    errorMap: () => ({
      message: 'must be "4" (Alertmanager webhook payload version 4)',
    }),
  }),
  groupKey: z
    .string({ required_error: 'is required' })
    .min(1, 'must not be empty'),
  truncatedAlerts: z.number().int().nonnegative().optional(),
  status: z.enum(['firing', 'resolved'], {
    errorMap: () => ({ message: 'must be firing or resolved' }),
  }),
  receiver: z.string().optional(),
  groupLabels: amLabels.optional(),
  commonLabels: amLabels.optional(),
  commonAnnotations: amLabels.optional(),
  externalURL: z.string().optional(),
  alerts: z
    .array(
      z.object({
        status: z.enum(['firing', 'resolved'], {
          errorMap: () => ({ message: 'must be firing or resolved' }),
        }),
        labels: amLabels,
        annotations: amLabels.default({}),
        startsAt: z
          .string({ required_error: 'is required' })
          .refine(
            v => !Number.isNaN(Date.parse(v)),
            'must be an RFC 3339 timestamp',
          ),
        endsAt: z.string().optional(),
        generatorURL: z.string().optional(),
        fingerprint: z
          .string({ required_error: 'is required' })
          .regex(
            /^[0-9a-fA-F]{1,64}$/,
            'must be the hex fingerprint Alertmanager sends',
          ),
      }),
      { required_error: 'is required' },
    )
    .min(1, 'must hold at least one alert')
    .max(1000, 'must hold at most 1000 alerts'),
});

/** @public */
export type AlertmanagerWebhook = z.infer<typeof alertmanagerWebhookSchema>;

/** One row of the incident commander's view (GET /commander/alerts). @public */
export interface CommanderAlert {
  key: string;
  source: 'reliability' | 'alertmanager';
  name: string;
  severity: string;
  state: string;
  entityRef: string;
  entityTitle: string | null;
  owner: string | null;
  system: string | null;
  startedAt: string;
  ageMs: number;
  summary: string;
  slo: {
    ref: string;
    title: string;
    state: string | null;
    budgetRemaining: number | null;
  } | null;
  /** The entity whose runbook answers this alert and the section that does (null without a runbook). */
  runbook: {
    entityRef: string;
    section: string | null;
    sectionTitle: string | null;
  } | null;
  remediation: { state: string; ruleId: string; at: string } | null;
  /** The entity's last change before the alert started (a deploy, a config push, a flag flip), within a day. */
  lastChange?: {
    kind: string;
    version: string | null;
    summary: string | null;
    author: string | null;
    link: string | null;
    at: string;
  } | null;
}

/** GET /alertmanager/alerts query. @public */
export const alertmanagerAlertsQuerySchema = z
  .object({
    status: z
      .enum(['firing', 'resolved'], {
        errorMap: () => ({ message: 'must be firing or resolved' }),
      })
      .optional(),
    ...pageParams,
  })
  .strict();
