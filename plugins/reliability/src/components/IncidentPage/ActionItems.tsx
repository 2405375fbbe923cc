import Button from '@mui/material/Button';
import { Chip } from '../../util/Chip';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import {
  actionItemOverdue,
  IncidentActionItem,
} from '@reliability-suite/plugin-reliability-common';

/**
 * The action items of a closed incident, open and overdue first: owner, due date, whether it is overdue (and its
 * owner was told), done by whom; each marked done, or open again.
 */
export function ActionItems({
  items,
  now,
  onDone,
  when,
}: {
  items: IncidentActionItem[];
  now: number;
  /** Marks the item at `position` (1-based, as stored) done or open; absent: read only. */
  onDone?: (position: number, done: boolean) => void;
  when: (t: string) => string;
}) {
  if (!items.length)
    return (
      <Typography variant="body2" color="text.secondary">
        No action items.
      </Typography>
    );
  const rank = (a: IncidentActionItem) => {
    if (a.doneAt) return 2;
    return actionItemOverdue(a, now) ? 0 : 1;
  };
  const listed = items
    .map((item, i) => ({ item, position: i + 1 }))
    .sort((a, b) => rank(a.item) - rank(b.item) || a.position - b.position);
  const open = items.filter(a => !a.doneAt).length;
  const overdue = items.filter(a => actionItemOverdue(a, now)).length;
  return (
    <Stack spacing={1} data-testid="action-items">
      <Typography variant="caption" color="text.secondary">
        {open} open{overdue ? `, ${overdue} overdue` : ''} of {items.length}
      </Typography>
      {listed.map(({ item, position }) => {
        const late = actionItemOverdue(item, now);
        let state: { label: string; color: 'error' | 'success' | 'default' } = {
          label: 'open',
          color: 'default',
        };
        if (late) state = { label: 'overdue', color: 'error' };
        else if (item.doneAt) state = { label: 'done', color: 'success' };
        return (
          <Stack
            key={position}
            direction="row"
            spacing={1}
            alignItems="center"
            data-testid="action-item"
          >
            <Chip size="small" color={state.color} label={state.label} />
            <Stack flex={1}>
              <Typography
                variant="body2"
                sx={item.doneAt ? { textDecoration: 'line-through' } : {}}
              >
                {item.title}
              </Typography>
              <Typography variant="caption" color="text.secondary">
                {item.owner} · due {item.due}
                {item.doneAt
                  ? ` · done ${when(item.doneAt)}${
                      item.doneBy ? ` by ${item.doneBy}` : ''
                    }`
                  : ''}
                {!item.doneAt && item.notifiedAt
                  ? ` · owner told ${when(item.notifiedAt)}`
                  : ''}
              </Typography>
            </Stack>
            {onDone && (
              <Button
                size="small"
                onClick={() => onDone(position, !item.doneAt)}
                aria-label={`${item.doneAt ? 'Reopen' : 'Mark done'}: ${
                  item.title
                }`}
              >
                {item.doneAt ? 'Reopen' : 'Mark done'}
              </Button>
            )}
          </Stack>
        );
      })}
    </Stack>
  );
}
