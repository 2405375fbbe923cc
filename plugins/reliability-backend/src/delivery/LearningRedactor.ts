import { Redactor } from '../redaction/Redactor';

/**
 * The delivery feature's redaction step, which learns the secrets of a changed config: it redacts the secrets it
 * started with and every secret it has learnt since (an old key, rotated away, is still never logged).
 */
export class LearningRedactor extends Redactor {
  private inner: Redactor;
  private known: Set<string>;

  constructor(secrets: Iterable<string> = []) {
    super();
    this.known = new Set(secrets);
    this.inner = new Redactor(this.known);
  }

  /** Adds secrets (a rotated key, a new webhook URL). */
  learn(secrets: Iterable<string>): void {
    let added = false;
    for (const s of secrets)
      if (!this.known.has(s) && this.known.size < 10_000) {
        this.known.add(s);
        added = true;
      }
    if (added) this.inner = new Redactor(this.known);
  }

  text(text: string, maxLength?: number): string {
    return this.inner.text(text, maxLength);
  }

  target(text: string, maxLength?: number): string {
    return this.inner.target(text, maxLength);
  }
}
