import { CustomErrorBase } from '@backstage/errors';

/**
 * 413: the request asks for more work than the documented limit (a diff between versions too far apart, a body
 * over the size limit). Backstage's error middleware answers with an error's numeric `statusCode`.
 */
export class PayloadTooLargeError extends CustomErrorBase {
  name = 'PayloadTooLargeError' as const;
  statusCode = 413;
}

/** 422: the request is well formed but contradicts what it refers to (an idempotency key sent before with another body). */
export class UnprocessableEntityError extends CustomErrorBase {
  name = 'UnprocessableEntityError' as const;
  statusCode = 422;
}
