import { ServiceUnavailableError } from '@backstage/errors';
import { Redactor } from '../redaction/Redactor';

/** What redacts: the plugin's Redactor (the config's secrets), or any step with the same `text()`. */
export type Redacts = Pick<Redactor, 'text'>;

export interface UpstreamOptions {
  /**
   * Names of errors that are the request's own (`InputError`, `NotFoundError`...): they keep their status, their
   * message redacted all the same. Every other failure of the read is the source's: a 503.
   */
  keep?: string[];
  /** The redaction step; without one, `new Redactor()` (URLs' userinfo, query and fragment, auth-scheme credentials). */
  redactor?: Redacts;
}

const generic = new Redactor();

/**
 * An outbound read failed (Prometheus, a UrlReader location, an SLI source of another plugin): a 503 that says what
 * could not be read (`what`) and why (the error's message), the whole message passed through the redaction step.
 * The error's cause is not kept: its text would leave unredacted.
 */
export function upstreamUnavailable(
  what: string,
  error: unknown,
  redactor: Redacts = generic,
): ServiceUnavailableError {
  const reason = error instanceof Error ? error.message : String(error);
  // each part on its own: a URL at the end of `what` must not swallow the separator
  return new ServiceUnavailableError(
    `${redactor.text(what)}: ${redactor.text(reason)}`,
  );
}

/**
 * Runs a read of an outbound source; when it fails, throws `upstreamUnavailable(what, error)` (a 503 with the
 * redacted reason), unless the error is one the caller `keep`s.
 */
export async function fromUpstream<T>(
  what: string,
  read: () => Promise<T>,
  options: UpstreamOptions = {},
): Promise<T> {
  try {
    return await read();
  } catch (e) {
    const redactor = options.redactor ?? generic;
    if (e instanceof Error && options.keep?.includes(e.name)) {
      e.message = redactor.text(e.message);
      throw e;
    }
    throw upstreamUnavailable(what, e, redactor);
  }
}
