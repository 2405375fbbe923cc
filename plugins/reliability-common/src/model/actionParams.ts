import { z } from 'zod';

/**
 * What the suite's destructive actions for AI agents (actions/) share, below the features that define them.
 */

/**
 * What every destructive action takes: `dryRun` says exactly what would happen and does nothing; without
 * `confirm: true` the action only proposes (says what it would do) and does nothing.
 * @public
 */
export const destructiveParams = {
  dryRun: z
    .boolean({ invalid_type_error: 'must be true or false' })
    .optional()
    .describe('Say exactly what would happen, and do nothing.'),
  confirm: z
    .boolean({ invalid_type_error: 'must be true or false' })
    .optional()
    .describe(
      'Must be true to act. Without it the action only proposes what it would do.',
    ),
};

/** What a destructive action answers: done, or what it would do (a proposal or a dry run). @public */
export const destructiveActionOutput = z.object({
  outcome: z.enum(['proposed', 'dry-run', 'done']),
  /** Exactly what would happen (proposed, dry-run) or what happened (done). */
  description: z.string(),
  /** The evidence: a portal path (relative to app.baseUrl). */
  link: z.string(),
});

/** An incident's or an experiment's id in an action's input. @public */
export const actionIdParam = z
  .number({
    required_error: 'is required',
    invalid_type_error: 'must be a number',
  })
  .int('must be an integer')
  .positive('must be a positive integer')
  .max(Number.MAX_SAFE_INTEGER, 'must be a safe integer');
