import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import Alert from '@mui/material/Alert';
import Button from '@mui/material/Button';
import { Chip } from '../../util/Chip';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  formatPercent,
  type OverviewRow,
} from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { Sparkline } from '../OverviewPage/OverviewPage';

/** The card shows at most this many SLOs, the least budget left first. */
export const HOME_BUDGETS_LIMIT = 8;
/** Owners asked about at most: a user in more groups than this sees those of the first ones. */
export const HOME_BUDGETS_MAX_OWNERS = 20;

/** The SLOs of what the signed-in user's groups (and the user) own: the worst budgets of each owner, merged. */
export async function loadOwnedBudgets(
  api: {
    getOverview(q: {
      owner?: string;
      limit?: number;
    }): Promise<{ items: OverviewRow[]; nextCursor?: string }>;
  },
  ownershipEntityRefs: string[],
  limit = HOME_BUDGETS_LIMIT,
): Promise<{ owners: string[]; items: OverviewRow[]; more: boolean }> {
  const owners = [...new Set(ownershipEntityRefs)]
    .filter(r => /^(group|user):/i.test(r))
    .slice(0, HOME_BUDGETS_MAX_OWNERS);
  // the overview is ranked least budget first, so the first `limit` of each owner hold the worst `limit` of all
  const pages = await Promise.all(
    owners.map(owner => api.getOverview({ owner, limit })),
  );
  const byRef = new Map<string, OverviewRow>();
  for (const page of pages) for (const r of page.items) byRef.set(r.ref, r);
  const rank = (b: number | null) => (b === null ? Infinity : b);
  const all = [...byRef.values()].sort(
    (a, b) =>
      rank(a.budgetRemaining) - rank(b.budgetRemaining) ||
      a.title.localeCompare(b.title),
  );
  return {
    owners,
    items: all.slice(0, limit),
    more: all.length > limit || pages.some(p => p.nextCursor !== undefined),
  };
}

/**
 * Home page: "Budgets of what I own": the error budgets of the SLOs of the services the signed-in user's groups own,
 * least budget left first.
 * @public
 */
export function HomeBudgetsContent() {
  const api = useApi(reliabilityApiRef);
  const identityApi = useApi(identityApiRef);
  const { value, loading, error, retry } = useAsyncRetry(async () => {
    const { ownershipEntityRefs } = await identityApi.getBackstageIdentity();
    return loadOwnedBudgets(api, ownershipEntityRefs);
  }, [api, identityApi]);
  return (
    <div data-testid="home-budgets">
      {loading && !value && (
        <CircularProgress size={20} aria-label="loading budgets" />
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
          Could not load the budgets: {errorMessage(error)}
        </Alert>
      )}
      {value && value.owners.length === 0 && (
        <Typography variant="body2">
          You are signed in without a user or group to own services.
        </Typography>
      )}
      {value && value.owners.length > 0 && value.items.length === 0 && (
        <Typography variant="body2" data-testid="home-budgets-empty">
          No SLO measures a service you or your teams own yet.
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
            data-testid="home-budgets-row"
          >
            <Link
              to={`/catalog/${c.namespace}/${c.kind}/${c.name}/reliability`}
              style={{ flex: 1 }}
            >
              {r.title}
            </Link>
            {r.frozen && (
              <Chip size="small" color="warning" label="launches frozen" />
            )}
            {r.firing.length > 0 && (
              <Chip size="small" color="error" label="burning" />
            )}
            <Sparkline points={r.sparkline} />
            <Typography
              variant="body2"
              sx={{ minWidth: 60, textAlign: 'right' }}
            >
              {r.budgetRemaining === null
                ? 'no data'
                : formatPercent(r.budgetRemaining)}
            </Typography>
          </Stack>
        );
      })}
      {value?.more && (
        <Link to="/reliability/overview">All of them in the overview</Link>
      )}
    </div>
  );
}
