/** The events topic Alertmanager's notifications travel on when they come in through the events backend. */
export const DEFAULT_ALERTMANAGER_EVENTS_TOPIC = 'alertmanager';

/** A topic is one path segment of /api/events/http/<topic>: letters, digits, `.`, `_`, `-` (no backtracking). */
const TOPIC_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

/** `reliability.alertmanager.eventsTopic` (default `alertmanager`), checked: a bad value stops the backend, naming the key. */
export function alertmanagerEventsTopic(config: {
  getOptionalString(key: string): string | undefined;
}): string {
  const topic =
    config.getOptionalString('reliability.alertmanager.eventsTopic') ??
    DEFAULT_ALERTMANAGER_EVENTS_TOPIC;
  if (!TOPIC_RE.test(topic))
    throw new Error(
      `Invalid reliability.alertmanager.eventsTopic: must be 1-100 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  return topic;
}
