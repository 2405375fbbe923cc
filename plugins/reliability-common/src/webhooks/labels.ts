/** Label names and values the webhook receivers hand to remediation. Pure: no I/O. */

/** The longest label value kept (a longer one is cut). @public */
export const WEBHOOK_LABEL_MAX_LENGTH = 1024;

const isStart = (c: string) =>
  (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
const isChar = (c: string) => isStart(c) || (c >= '0' && c <= '9') || c === '.';

/** True for a label name rules can match: [a-zA-Z_][a-zA-Z0-9_.]* (at most 200 characters). @public */
export function isWebhookLabelName(name: string): boolean {
  if (name.length === 0 || name.length > 200 || !isStart(name[0])) return false;
  for (const c of name) if (!isChar(c)) return false;
  return true;
}

/** A key as a label name part: characters a matcher cannot name become _. @public */
export function labelKey(key: string): string {
  let out = '';
  for (const c of key.slice(0, 100)) out += isChar(c) ? c : '_';
  return out.length > 0 && isStart(out[0]) ? out : `_${out}`;
}

/** A scalar as a label value (strings as they are, numbers and booleans as JSON writes them); others undefined. @public */
export function scalarLabel(value: unknown): string | undefined {
  if (typeof value === 'string')
    return value.slice(0, WEBHOOK_LABEL_MAX_LENGTH);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return undefined;
}
