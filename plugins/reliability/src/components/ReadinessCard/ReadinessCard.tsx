import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import Button from '@mui/material/Button';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import CircularProgress from '@mui/material/CircularProgress';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { Link } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  RELIABILITY_PANEL_ROUTES,
  type ReadinessItem,
} from '@reliability-suite/plugin-reliability-common';
import { useReliabilityTabLink } from '../../paths';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { useReusedAsync } from '../../util/useReusedAsync';
import { legibleText } from '../../util/legibility';

/**
 * What fixes an item: a screen of the Reliability tab (the panel an anchor names: `#chaos-panel` is the tab's
 * `chaos`), a panel on this screen (scrolled to), or a page of the portal (a template, the docs).
 */
function Fix({ fix }: { fix: NonNullable<ReadinessItem['fix']> }) {
  const tab = useReliabilityTabLink();
  const anchor = fix.href.startsWith('#') ? fix.href.slice(1) : '';
  const screen = Object.prototype.hasOwnProperty.call(
    RELIABILITY_PANEL_ROUTES,
    anchor,
  )
    ? RELIABILITY_PANEL_ROUTES[anchor]
    : undefined;
  if (tab && screen) {
    return <Link to={tab(screen)}>{fix.label}</Link>;
  }
  if (fix.href.startsWith('#')) {
    return (
      <Button
        size="small"
        onClick={() =>
          document
            .getElementById(fix.href.slice(1))
            ?.scrollIntoView({ behavior: 'smooth', block: 'start' })
        }
      >
        {fix.label}
      </Button>
    );
  }
  return <Link to={fix.href}>{fix.label}</Link>;
}

/**
 * The service's readiness score from the review checklist: each item passed or not, why, and what fixes it.
 * @public
 */
export function ReadinessCard({ entityRef }: { entityRef: string }) {
  const api = useApi(reliabilityApiRef);
  const { value, loading, error, retry } = useReusedAsync(
    api,
    () => api.getReadiness(entityRef),
    [api, entityRef],
  );
  let color: 'success' | 'warning' | 'error' = 'error';
  if (value && value.score >= 80) color = 'success';
  else if (value && value.score >= 50) color = 'warning';
  return (
    <Card variant="outlined" data-testid="readiness-card" id="readiness-card">
      <CardHeader
        title="Production readiness"
        subheader="The review checklist: SLOs, burn-rate alerts, timeouts and retries, degradation, synthetics, capacity, backups, failover, observability, self-healing, chaos"
        action={
          value && (
            <Box
              sx={{ position: 'relative', display: 'inline-flex' }}
              data-testid="readiness-score"
            >
              <CircularProgress
                variant="determinate"
                value={value.score}
                color={color}
                size={56}
                aria-label={`readiness ${value.score}%`}
              />
              <Box
                sx={{
                  position: 'absolute',
                  inset: 0,
                  display: 'flex',
                  alignItems: 'center',
                  justifyContent: 'center',
                }}
              >
                <Typography variant="body2" fontWeight={700}>
                  {value.score}%
                </Typography>
              </Box>
            </Box>
          )
        }
      />
      <CardContent>
        {loading && !value && (
          <CircularProgress size={20} aria-label="loading readiness" />
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
            Could not load the readiness score: {errorMessage(error)}
          </Alert>
        )}
        {value && value.items.length === 0 && (
          <Typography variant="body2" color="text.secondary">
            No checklist item applies to this entity.
          </Typography>
        )}
        {value && value.items.length > 0 && (
          <>
            <Typography variant="body2" color="text.secondary" gutterBottom>
              {value.passed} of {value.applicable} items in place.
            </Typography>
            {value.items.map(item => (
              <Stack
                key={item.id}
                direction="row"
                spacing={1}
                alignItems="baseline"
                sx={{ py: 0.5, borderTop: 1, borderColor: 'divider' }}
                data-testid={`readiness-item-${item.id}`}
              >
                <Typography
                  component="span"
                  color={legibleText(
                    item.state === 'passed' ? 'success' : 'error',
                  )}
                  aria-label={item.state}
                  sx={{ width: 20 }}
                >
                  {item.state === 'passed' ? '✓' : '✗'}
                </Typography>
                <Box sx={{ flex: 1 }}>
                  <Typography variant="body2" fontWeight={600}>
                    {item.label}
                  </Typography>
                  <Typography
                    variant="caption"
                    color="text.secondary"
                    component="div"
                  >
                    {item.reason}
                  </Typography>
                  {(item.evidence?.length > 0 || item.missing?.length > 0) && (
                    <details data-testid={`readiness-explain-${item.id}`}>
                      <summary>
                        <Typography variant="caption" component="span">
                          Why: {item.evidence.length} read
                          {item.missing.length
                            ? `, ${item.missing.length} missing`
                            : ''}
                        </Typography>
                      </summary>
                      <Box component="ul" sx={{ my: 0, pl: 3 }}>
                        {item.evidence.map(e => (
                          <li key={`e:${e}`}>
                            <Typography variant="caption">Read: {e}</Typography>
                          </li>
                        ))}
                        {item.missing.map(m => (
                          <li key={`m:${m}`}>
                            <Typography
                              variant="caption"
                              color={legibleText('error')}
                            >
                              Missing: {m}
                            </Typography>
                          </li>
                        ))}
                      </Box>
                    </details>
                  )}
                </Box>
                {item.fix && <Fix fix={item.fix} />}
              </Stack>
            ))}
          </>
        )}
      </CardContent>
    </Card>
  );
}
