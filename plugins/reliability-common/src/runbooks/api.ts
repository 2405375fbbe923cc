import { z } from 'zod';

/** The REST shapes of portal runbooks. */

/** PUT /runbooks/:kind/:namespace/:name: a new version of the portal runbook and failure modes. @public */
export const runbookSaveSchema = z
  .object({
    baseVersion: z
      .number({
        required_error: 'is required (0 for a new runbook)',
        invalid_type_error: 'must be a number',
      })
      .int('must be an integer')
      .min(0, 'must be at least 0'),
    markdown: z
      .string({ invalid_type_error: 'must be a string' })
      .max(512 * 1024, 'must be at most 512 KiB')
      .optional(),
    failureModes: z
      .array(
        z
          .object({
            mode: z
              .string({ required_error: 'is required' })
              .trim()
              .min(1, 'must not be empty')
              .max(200, 'must be at most 200 characters'),
            detection: z
              .string({ required_error: 'is required' })
              .max(1000, 'must be at most 1000 characters'),
            mitigation: z
              .string({ required_error: 'is required' })
              .max(1000, 'must be at most 1000 characters'),
          })
          .strict(),
        { invalid_type_error: 'must be a list' },
      )
      .max(100, 'must hold at most 100 rows'),
    message: z
      .string({ invalid_type_error: 'must be a string' })
      .max(500, 'must be at most 500 characters')
      .optional(),
  })
  .strict();

/** GET /runbooks/:kind/:namespace/:name. @public */
export interface RunbookResponse {
  entityRef: string;
  source: {
    type: 'url' | 'file' | 'portal';
    location: string;
    version?: number;
    author?: string;
    updatedAt?: string;
  };
  sections: import('../runbooks/runbook').RunbookSection[];
  markdown: string;
  /** The entity's failure-mode catalog; the ten standard rows (template: true) until someone saves it. */
  failureModes: import('../runbooks/runbook').FailureMode[];
  failureModesTemplate: boolean;
  /** The latest portal version (runbook or failure modes), 0 when none: the baseVersion of the next save. */
  version: number;
  /** Whether the caller may edit (reliability.runbook.update on the entity), and what. */
  canEdit: boolean;
  editableMarkdown: boolean;
}
