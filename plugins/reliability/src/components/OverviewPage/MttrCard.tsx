import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import CircularProgress from '@mui/material/CircularProgress';
import Table from '@mui/material/Table';
import TableBody from '@mui/material/TableBody';
import TableCell from '@mui/material/TableCell';
import TableHead from '@mui/material/TableHead';
import TableRow from '@mui/material/TableRow';
import ToggleButton from '@mui/material/ToggleButton';
import ToggleButtonGroup from '@mui/material/ToggleButtonGroup';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  formatElapsed,
  MTTR_WINDOW_DAYS,
  MttrGroup,
  MttrResponse,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';

const PAGE = 20;

/**
 * Mean time to restore over the incidents resolved in the last 90 days, per service or per team (the service's
 * owner), with the number of incidents and the longest; pages of 20. Absent when the API cannot tell.
 */
export function MttrCard() {
  const api = useApi(reliabilityApiRef);
  const [by, setBy] = useState<MttrGroup>('service');
  const [pages, setPages] = useState(1);
  const days = MTTR_WINDOW_DAYS.default;
  const { value, loading, error, retry } = useAsyncRetry(async (): Promise<
    MttrResponse | undefined
  > => {
    if (!api.getIncidentMttr) return undefined;
    let r = await api.getIncidentMttr({ by, days, limit: PAGE });
    const items = [...r.items];
    for (let p = 1; p < pages && r.nextCursor; p++) {
      r = await api.getIncidentMttr({
        by,
        days,
        limit: PAGE,
        cursor: r.nextCursor,
      });
      items.push(...r.items);
    }
    return { ...r, items };
  }, [api, by, pages]);
  if (!api.getIncidentMttr) return null;
  const what = by === 'service' ? 'Service' : 'Team';
  return (
    <Card variant="outlined" sx={{ mt: 3 }} data-testid="mttr-card">
      <CardHeader
        title={`Time to restore (last ${days} days)`}
        subheader="Mean time from declaring an incident to resolving it, over resolved incidents"
        action={
          <ToggleButtonGroup
            size="small"
            exclusive
            value={by}
            onChange={(_, v: MttrGroup | null) => {
              if (!v) return;
              setPages(1);
              setBy(v);
            }}
          >
            <ToggleButton value="service">Per service</ToggleButton>
            <ToggleButton value="team">Per team</ToggleButton>
          </ToggleButtonGroup>
        }
      />
      <CardContent>
        {loading && !value && <CircularProgress aria-label="loading MTTR" />}
        {error && (
          <Alert
            severity="error"
            action={
              <Button color="inherit" size="small" onClick={retry}>
                Retry
              </Button>
            }
          >
            Could not load the time to restore: {errorMessage(error)}
          </Alert>
        )}
        {value && value.items.length === 0 && (
          <Alert severity="info">
            No incident was resolved in the last {days} days.
          </Alert>
        )}
        {value && value.items.length > 0 && (
          <Table size="small" aria-label={`MTTR per ${by}`}>
            <TableHead>
              <TableRow>
                <TableCell>{what}</TableCell>
                <TableCell align="right">Incidents</TableCell>
                <TableCell align="right">MTTR</TableCell>
                <TableCell align="right">Longest</TableCell>
                {by === 'team' && <TableCell align="right">Services</TableCell>}
              </TableRow>
            </TableHead>
            <TableBody>
              {value.items.map(r => {
                const e = parseEntityRef(r.entityRef);
                return (
                  <TableRow
                    key={r.entityRef}
                    data-testid={`mttr-row-${r.entityRef}`}
                  >
                    <TableCell>
                      <Link
                        to={`/catalog/${e.namespace}/${e.kind}/${e.name}${
                          by === 'service' ? '/reliability' : ''
                        }`}
                      >
                        {e.name}
                      </Link>
                    </TableCell>
                    <TableCell align="right">{r.incidents}</TableCell>
                    <TableCell align="right">
                      {formatElapsed(r.mttrMs)}
                    </TableCell>
                    <TableCell align="right">
                      {formatElapsed(r.maxMs)}
                    </TableCell>
                    {by === 'team' && (
                      <TableCell align="right">{r.services ?? '—'}</TableCell>
                    )}
                  </TableRow>
                );
              })}
            </TableBody>
          </Table>
        )}
        {value?.truncated && (
          <Alert severity="info" sx={{ mt: 1 }}>
            Counted over the 2,000 services with the most incidents.
          </Alert>
        )}
        {value?.nextCursor && (
          <Button
            size="small"
            sx={{ mt: 1 }}
            onClick={() => setPages(pages + 1)}
          >
            More
          </Button>
        )}
      </CardContent>
    </Card>
  );
}
