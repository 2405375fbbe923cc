import type { DeliveryTarget } from '../targets';
import { flatDetails, headline, postJson, subjectFact } from './http';
import type { Sender } from './types';

type SlackTarget = Extract<DeliveryTarget, { kind: 'slack' }>;

const ICON = {
  fired: ':rotating_light:',
  acknowledged: ':eyes:',
  resolved: ':white_check_mark:',
};

/**
 * A Slack incoming webhook: `POST <url>` with `{text, blocks}` (text is the notification's fallback). Slack answers
 * 200 `ok`; 400 `invalid_payload` or `no_text`, 403 `action_prohibited`, 404 `channel_not_found` or `no_service`,
 * 410 `channel_is_archived` are refused for good (the hook or the message is wrong); 429 and 5xx are retried.
 */
export const sendSlack: Sender<SlackTarget> = (target, m, options) => {
  const text = `${ICON[m.transition]} ${headline(m)}`;
  const facts = [
    subjectFact(m),
    ['Entity', m.entityRef],
    ...flatDetails(m.payload.details, 8),
  ];
  const body = {
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: text.slice(0, 3000) } },
      {
        type: 'section',
        fields: facts.slice(0, 10).map(([k, v]) => ({
          type: 'mrkdwn',
          text: `*${k}*\n${v}`.slice(0, 2000),
        })),
      },
      {
        type: 'context',
        elements: [{ type: 'mrkdwn', text: `alert ${m.alertKey}` }],
      },
    ],
  };
  return postJson('Slack', target.url, body, {
    ...options,
    // an incoming webhook answers the text `ok`; anything else in a 200 is an error Slack names
    accept: (_status, answer) =>
      answer.trim() === 'ok' ? undefined : answer.trim().slice(0, 300),
  });
};
