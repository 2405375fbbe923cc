import { ConfigReader } from '@backstage/config';
import { readRemediationRules } from './rules';
import { webhookAction } from './actions/webhook';

const actions = new Map([[webhookAction.id, webhookAction]]);
const rule = (match: string[]) =>
  new ConfigReader({
    reliability: {
      remediation: {
        rules: [{ id: 'r', entityRef: 'component:default/checkout', action: 'webhook', params: { url: 'http://127.0.0.1:9/x' }, match }],
      },
    },
  });

describe('remediation rules from config', () => {
  it('accepts RE2 matchers, as Alertmanager does', () => {
    const [r] = readRemediationRules(rule(['service=~"check(out|in)"', 'env!~"dev|test"', 'team=~"(a+)+$"']), actions);
    expect(r.match.map(m => m.op)).toEqual(['=~', '!~', '=~']);
  });

  it.each([
    ['service=~"(a)\\\\1"', /match\[0\].*RE2 syntax/],
    ['service=~"(?=x)y"', /match\[0\].*RE2 syntax/],
    ['service=~"("', /match\[0\].*invalid regular expression/],
    ['service = checkout', /match\[0\].*value of 'service' must be in double quotes/],
  ])('refuses %s at startup, naming its path', (text, message) => {
    expect(() => readRemediationRules(rule([text]), actions)).toThrow(message);
    expect(() => readRemediationRules(rule([text]), actions)).toThrow(/^reliability\.remediation\.rules\[0\]\.match\[0\]: /);
  });

  it("locks chaos starts and halts per experiment by default, so one experiment's cooldown never holds another's halt", () => {
    expect(readRemediationRules(rule(['alertname="ChaosExperimentAborted"']), actions)[0].lockKey).toBe('webhook:r:{{experiment}}');
    expect(readRemediationRules(rule(['alertname="ChaosExperimentStarted"']), actions)[0].lockKey).toBe('webhook:r:{{experiment}}');
    expect(readRemediationRules(rule(['alertname="CheckoutDown"']), actions)[0].lockKey).toBe('webhook:r');
  });
});
