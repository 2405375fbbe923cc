import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { formatPercent } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { Sparkline } from '../OverviewPage/OverviewPage';

/**
 * On Group and System pages: the SLOs of their services with the least budget left, the worst first.
 * @public
 */
export function OrgReliabilityCard() {
  const { entity } = useEntity();
  const ref = stringifyEntityRef(entity);
  const isGroup = entity.kind.toLocaleLowerCase('en-US') === 'group';
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () =>
      api.getOverview({
        ...(isGroup ? { owner: ref } : { system: ref }),
        limit: 5,
      }),
    [api, ref, isGroup],
  );
  const worst = value?.items[0];
  return (
    <Card variant="outlined" data-testid="org-reliability-card">
      <CardHeader
        title="Reliability"
        subheader={
          isGroup
            ? "SLOs of the team's services, least budget left first"
            : "SLOs of the system's services, least budget left first"
        }
      />
      <CardContent>
        {loading && !value && (
          <CircularProgress size={20} aria-label="loading SLOs" />
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
            Could not load the SLOs: {errorMessage(error)}
          </Alert>
        )}
        {value && value.items.length === 0 && (
          <Typography variant="body2">
            No SLO measures {isGroup ? "this team's" : "this system's"} services
            yet.
          </Typography>
        )}
        {worst && (
          <Typography variant="body2" gutterBottom data-testid="org-worst">
            Worst budget: <b>{formatPercent(worst.budgetRemaining)}</b> (
            {worst.title}){worst.frozen ? ' · launches frozen' : ''}
          </Typography>
        )}
        {value?.items.map(r => {
          const c = parseEntityRef(r.componentRef);
          return (
            <Stack
              key={r.ref}
              direction="row"
              spacing={1}
              alignItems="center"
              sx={{ py: 0.5 }}
            >
              <Link
                to={`/catalog/${c.namespace}/${c.kind}/${c.name}/reliability`}
                style={{ flex: 1 }}
              >
                {r.title}
              </Link>
              <Sparkline points={r.sparkline} />
              <Typography
                variant="body2"
                sx={{ minWidth: 60, textAlign: 'right' }}
              >
                {formatPercent(r.budgetRemaining)}
              </Typography>
            </Stack>
          );
        })}
        {value?.nextCursor && (
          <Link to="/reliability/overview">All of them in the overview</Link>
        )}
      </CardContent>
    </Card>
  );
}
