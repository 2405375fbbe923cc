import type { DeliveryTarget } from '../targets';
import { flatDetails, headline, postJson, subjectFact } from './http';
import type { Sender } from './types';

type TeamsTarget = Extract<DeliveryTarget, { kind: 'teams' }>;

const COLOR = { fired: 'D13438', acknowledged: 'FFB900', resolved: '107C10' };

/**
 * Microsoft Teams: `POST <url>` of a Workflows webhook with a message holding an Adaptive Card (format
 * `adaptiveCard`, the default), or of an Office 365 connector's incoming webhook with a MessageCard (format
 * `messageCard`). Any 2xx is accepted (Workflows answer 202, connectors 200 `1`); 400 is refused; 429 and 5xx are
 * retried.
 */
export const sendTeams: Sender<TeamsTarget> = (target, m, options) => {
  const title = headline(m);
  const facts = [
    subjectFact(m),
    ['Entity', m.entityRef],
    ['Alert', m.alertKey],
    ...flatDetails(m.payload.details, 10),
  ];
  const body =
    target.format === 'messageCard'
      ? {
          '@type': 'MessageCard',
          '@context': 'https://schema.org/extensions',
          summary: title.slice(0, 200),
          themeColor: COLOR[m.transition],
          title,
          sections: [
            { facts: facts.map(([name, value]) => ({ name, value })) },
          ],
        }
      : {
          type: 'message',
          attachments: [
            {
              contentType: 'application/vnd.microsoft.card.adaptive',
              contentUrl: null,
              content: {
                $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
                type: 'AdaptiveCard',
                version: '1.4',
                body: [
                  {
                    type: 'TextBlock',
                    text: title,
                    weight: 'Bolder',
                    size: 'Medium',
                    wrap: true,
                    color: m.transition === 'resolved' ? 'Good' : 'Attention',
                  },
                  {
                    type: 'FactSet',
                    facts: facts.map(([title_, value]) => ({
                      title: title_,
                      value,
                    })),
                  },
                ],
              },
            },
          ],
        };
  return postJson('Teams', target.url, body, options);
};
