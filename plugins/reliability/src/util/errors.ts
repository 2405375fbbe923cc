import { ResponseError } from '@backstage/errors';

/**
 * What to show for a failed call: the server's own message (which names the field and the rule), not only
 * ResponseError's "Request failed with 400 Bad Request".
 */
export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    const server = error.cause?.message;
    return server && !server.startsWith('Request failed with status')
      ? `${server} (HTTP ${error.statusCode})`
      : error.message;
  }
  return error instanceof Error ? error.message : String(error);
}

/** HTTP status of a failed call, when it was one. */
export const errorStatus = (error: unknown): number | undefined =>
  error instanceof ResponseError ? error.statusCode : undefined;

/**
 * The server's own message without the status: for an answer that is an empty state (a 404 saying what is not
 * there yet and how to add it), not an error.
 */
export function serverMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    const server = error.cause?.message;
    if (server && !server.startsWith('Request failed with status'))
      return server;
  }
  return errorMessage(error);
}
