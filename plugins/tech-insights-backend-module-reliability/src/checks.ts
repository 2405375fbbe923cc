import {
  JSON_RULE_ENGINE_CHECK_TYPE,
  type TechInsightJsonRuleCheck,
} from '@backstage-community/plugin-tech-insights-backend-module-jsonfc';
import { READINESS_ITEMS } from '@reliability-suite/plugin-reliability-common';
import { RELIABILITY_FACT_RETRIEVER_ID, readinessFactName } from './facts';

const docs = (path: string) => [
  {
    title: 'Reliability suite docs',
    url: `https://github.com/reliability-suite/reliability-suite/blob/main/docs/${path}`,
  },
];

/**
 * The JSON rules engine checks of the reliability suite: one per item of the production-readiness checklist, and
 * two on the SLOs (not frozen by the budget policy; every SLO with data meets its objective).
 * @public
 */
export const reliabilityChecks: TechInsightJsonRuleCheck[] = [
  ...READINESS_ITEMS.map(
    (item): TechInsightJsonRuleCheck => ({
      id: `reliability-readiness-${item.id}`,
      type: JSON_RULE_ENGINE_CHECK_TYPE,
      name: item.label,
      description: `Production readiness checklist: ${item.label}. The Reliability tab's readiness card says why it is unchecked and links to what fixes it.`,
      factIds: [RELIABILITY_FACT_RETRIEVER_ID],
      rule: {
        conditions: {
          all: [
            {
              fact: readinessFactName(item.id),
              operator: 'equal',
              value: true,
            },
          ],
        },
      },
      links: docs('readiness.md'),
    }),
  ),
  {
    id: 'reliability-not-frozen',
    type: JSON_RULE_ENGINE_CHECK_TYPE,
    name: 'Launches not frozen',
    description:
      "The error-budget policy's gate allows launches: no SLO is under the gate's budget threshold",
    factIds: [RELIABILITY_FACT_RETRIEVER_ID],
    rule: {
      conditions: {
        all: [{ fact: 'frozen', operator: 'equal', value: false }],
      },
    },
    links: docs('rest-api.md'),
  },
  {
    id: 'reliability-slos-meet-objective',
    type: JSON_RULE_ENGINE_CHECK_TYPE,
    name: 'SLOs meet their objectives',
    description:
      'Every SLO with data meets its objective over its window (fails without SLO data)',
    factIds: [RELIABILITY_FACT_RETRIEVER_ID],
    rule: {
      conditions: {
        all: [
          {
            fact: 'sloCompliance',
            operator: 'greaterThanInclusive',
            value: 1,
          },
        ],
      },
    },
    links: docs('slos.md'),
  },
];
