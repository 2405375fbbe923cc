import {
  ChaosInjection,
  chaosInjections,
  durationMs,
} from '@reliability-suite/plugin-reliability-common';
import {
  RemediationAction,
  RemediationActionContext,
  RemediationActionError,
} from '@reliability-suite/plugin-reliability-node';
import type { PspFault } from './payments';
import type { DemoShop } from './shop';

/** The longest a demo fault lasts when the experiment's duration cannot be read (and the cap on any duration). */
const MAX_FAULT_MS = 30 * 60_000;

const OPERATIONS = ['inject', 'clear'] as const;

/**
 * The demo's chaos engine for the brownout experiment (SRE-002): a remediation action, `demo-psp-fault`, that the
 * demo's rules call on the suite's chaos alerts. `inject` (on ChaosExperimentStarted) reads the started experiment
 * from the alert's `experiment` annotation and makes the demo shop's payment provider slow (its `latency` injection)
 * and failing (its `error-rate` injection) until the experiment's duration is over; `clear` (on
 * ChaosExperimentAborted, which the guard, the kill switch and the end of the duration all raise) takes the fault
 * away. The demo's PSP is one stub, the canary, so the fault hits all of its charges.
 */
export function demoPspFaultAction(
  shop: () => DemoShop | undefined,
  now: () => number = Date.now,
): RemediationAction {
  return {
    id: 'demo-psp-fault',
    description:
      "The demo's chaos engine: makes the demo shop's payment provider slow and failing as the started experiment says (inject), or well again (clear)",
    validate(params) {
      const problems: string[] = [];
      if (!OPERATIONS.includes(params.operation as any))
        problems.push(
          `params.operation: must be one of ${OPERATIONS.join(', ')}`,
        );
      for (const key of Object.keys(params))
        if (key !== 'operation')
          problems.push(`params.${key}: is not a parameter of demo-psp-fault`);
      return problems;
    },
    target: params => `demo PSP stub (${String(params.operation)})`,
    describe(ctx) {
      if (ctx.params.operation === 'clear')
        return "Would clear the demo payment provider's fault";
      const f = faultOf(ctx, now());
      return typeof f === 'string'
        ? `Would refuse: ${f}`
        : `Would make the demo payment provider slow (${
            f.latencyMs
          } ms) and fail ${f.errorPercent}% of charges until ${new Date(
            f.until,
          ).toISOString()} (${f.source})`;
    },
    async execute(ctx) {
      const s = shop();
      if (!s)
        throw new RemediationActionError(
          'the demo shop is not running (reliability.demo.shop.port)',
          { retryable: false },
        );
      if (ctx.params.operation === 'clear') {
        const was = s.psp.currentFault();
        s.psp.clear();
        return {
          detail: was
            ? `demo PSP fault of ${was.source} cleared`
            : 'the demo PSP had no fault',
        };
      }
      const f = faultOf(ctx, now());
      if (typeof f === 'string')
        throw new RemediationActionError(f, { retryable: false });
      s.psp.inject(f);
      return {
        detail: `demo PSP slow (${f.latencyMs} ms) and failing ${
          f.errorPercent
        }% of charges until ${new Date(f.until).toISOString()}`,
      };
    },
  };
}

/** The fault the started experiment describes, or why there is none. */
export function faultOf(
  ctx: Pick<RemediationActionContext, 'trigger'>,
  now: number,
): PspFault | string {
  const raw = ctx.trigger.annotations.experiment;
  if (!raw)
    return 'the trigger carries no chaos experiment (annotation experiment): inject runs on ChaosExperimentStarted alerts';
  let e: {
    name?: unknown;
    duration?: unknown;
    injection?: ChaosInjection;
    injections?: ChaosInjection[];
  };
  try {
    e = JSON.parse(raw);
  } catch {
    return 'the experiment annotation is not JSON';
  }
  let latencyMs = 0;
  let errorPercent = 0;
  for (const i of chaosInjections(e)) {
    if (i.type === 'latency') latencyMs = Math.max(latencyMs, i.ms);
    else if (i.type === 'error-rate')
      errorPercent = Math.max(errorPercent, i.percent);
  }
  if (!latencyMs && !errorPercent)
    return 'the experiment has no latency or error-rate injection for the demo PSP';
  let ms = MAX_FAULT_MS;
  try {
    if (typeof e.duration === 'string')
      ms = Math.min(MAX_FAULT_MS, durationMs(e.duration));
  } catch {
    // an unreadable duration: the cap
  }
  return {
    latencyMs,
    errorPercent,
    until: now + ms,
    source: typeof e.name === 'string' ? e.name.slice(0, 100) : 'chaos',
  };
}
