/**
 * A circuit breaker per target: after `failureThreshold` consecutive failures the circuit opens and calls fail fast
 * for `openMs`; then one trial call is let through (half-open), which closes it on success or reopens it.
 * Kept per backend process: each replica protects the target from its own calls.
 */
export class CircuitBreaker {
  private readonly circuits = new Map<
    string,
    { failures: number; openedAt: number | null; trial: boolean }
  >();

  constructor(
    private readonly options: { failureThreshold: number; openMs: number },
  ) {}

  /** Whether a call may go through now; a half-open circuit lets exactly one trial through. */
  allow(target: string, now: number): boolean {
    const c = this.circuits.get(target);
    if (!c || c.openedAt === null) return true;
    if (now - c.openedAt < this.options.openMs) return false;
    if (c.trial) return false;
    c.trial = true;
    return true;
  }

  success(target: string): void {
    this.circuits.delete(target);
  }

  failure(target: string, now: number): void {
    const c = this.circuits.get(target) ?? {
      failures: 0,
      openedAt: null,
      trial: false,
    };
    c.failures++;
    if (c.trial || c.failures >= this.options.failureThreshold) {
      c.openedAt = now;
      c.trial = false;
    }
    this.circuits.set(target, c);
  }

  state(target: string, now: number): 'closed' | 'open' | 'half-open' {
    const c = this.circuits.get(target);
    if (!c || c.openedAt === null) return 'closed';
    return now - c.openedAt < this.options.openMs ? 'open' : 'half-open';
  }
}
