import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Link from '@mui/material/Link';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import Typography from '@mui/material/Typography';
import {
  BAD_CHANGE_BUDGET_SHARE,
  ChangeListResponse,
  formatPercent,
} from '@reliability-suite/plugin-reliability-common';
import { errorMessage } from '../../util/errors';
import { dateFormat } from '../../util/dates';

const when = dateFormat({
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

/**
 * Recent changes of the entity (deploys, config pushes, flag flips, restarts) with the error budget burned in the
 * hour after each one, so a bad change shows itself. The list is loaded once by the tab and shared with the charts.
 * @public
 */
export function ChangesPanel(props: {
  value?: ChangeListResponse;
  loading: boolean;
  error?: Error;
  retry: () => void;
}) {
  const { value, loading, error, retry } = props;
  return (
    <Card variant="outlined" data-testid="changes-panel">
      <CardHeader
        title="Recent changes"
        subheader="Deploys, config pushes, flag flips and restarts of the last 30 days, with the budget burned in the hour after each"
      />
      <CardContent>
        {loading && !value && (
          <CircularProgress size={20} aria-label="loading changes" />
        )}
        {error && (
          <Alert
            severity="error"
            action={
              <Button color="inherit" size="small" onClick={retry}>
                Retry
              </Button>
            }
          >
            Could not load the changes: {errorMessage(error)}
          </Alert>
        )}
        {value && value.items.length === 0 && (
          <Typography variant="body2" data-testid="changes-empty">
            No changes recorded. CI, Argo CD or a flag service can post them to{' '}
            <code>POST /api/reliability/changes</code>.
          </Typography>
        )}
        {value && value.items.length > 0 && (
          <Table size="small" aria-label="recent changes">
            <TableHead>
              <TableRow>
                <TableCell>When</TableCell>
                <TableCell>Change</TableCell>
                <TableCell>By</TableCell>
                <TableCell>Budget burned in the hour after</TableCell>
              </TableRow>
            </TableHead>
            <TableBody>
              {value.items.map(c => {
                const bad =
                  c.worst !== null && c.worst >= BAD_CHANGE_BUDGET_SHARE;
                return (
                  <TableRow key={c.id} data-testid={`change-row-${c.id}`}>
                    <TableCell>{when(c.at)}</TableCell>
                    <TableCell>
                      <Chip size="small" label={c.kind} sx={{ mr: 1 }} />
                      {c.link ? (
                        <Link
                          href={c.link}
                          target="_blank"
                          rel="noopener noreferrer"
                        >
                          {c.version ?? c.summary ?? c.link}
                        </Link>
                      ) : (
                        c.version ?? ''
                      )}
                      {c.summary && c.version && (
                        <Typography
                          variant="caption"
                          display="block"
                          color="text.secondary"
                        >
                          {c.summary}
                        </Typography>
                      )}
                      {c.summary && !c.version && !c.link && c.summary}
                    </TableCell>
                    <TableCell>{c.author ?? c.source}</TableCell>
                    <TableCell>
                      {c.worst === null ? (
                        '—'
                      ) : (
                        <Chip
                          size="small"
                          color={bad ? 'error' : 'default'}
                          label={`${formatPercent(c.worst, 1)}${
                            bad ? ' — suspect' : ''
                          }`}
                          title={c.burnedAfter
                            .map(
                              b =>
                                `${b.slo}: ${
                                  b.budgetSpent === null
                                    ? 'no data'
                                    : formatPercent(b.budgetSpent, 2)
                                }`,
                            )
                            .join('\n')}
                        />
                      )}
                    </TableCell>
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
