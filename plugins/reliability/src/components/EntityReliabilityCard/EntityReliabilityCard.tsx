import useAsync from 'react-use/esm/useAsync';
import Alert from '@mui/material/Alert';
import Card from '@mui/material/Card';
import CardContent from '@mui/material/CardContent';
import CardHeader from '@mui/material/CardHeader';
import { Chip } from '../../util/Chip';
import LinearProgress from '@mui/material/LinearProgress';
import List from '@mui/material/List';
import ListItem from '@mui/material/ListItem';
import ListItemText from '@mui/material/ListItemText';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { useEntity } from '@backstage/plugin-catalog-react';
import { stringifyEntityRef } from '@backstage/catalog-model';
import { formatTarget } from '@reliability-suite/plugin-reliability-common';
import { reliabilityApiRef } from '../../api/ReliabilityApi';
import {
  formatPercent,
  formatUntil,
  STATE_COLOR,
  STATE_LABEL,
} from '@reliability-suite/plugin-reliability-common';
import { errorMessage } from '../../util/errors';

/** A card for the entity overview: each SLO's status and budget remaining. @public */
export function EntityReliabilityCard() {
  const { entity } = useEntity();
  const api = useApi(reliabilityApiRef);
  const { value, loading, error } = useAsync(
    () => api.listSlos(stringifyEntityRef(entity)),
    [api, entity],
  );
  return (
    <Card data-testid="reliability-card">
      <CardHeader title="Reliability" subheader="SLOs and error budgets" />
      <CardContent>
        {loading && <LinearProgress aria-label="loading SLOs" />}
        {error && (
          <Alert severity="error">
            Could not load SLOs: {errorMessage(error)}
          </Alert>
        )}
        {value && value.items.length === 0 && (
          <Typography variant="body2">
            No SLOs yet: see the Reliability tab for how to add one.
          </Typography>
        )}
        {value && value.items.length > 0 && (
          <List dense disablePadding>
            {value.items.map(slo => (
              <ListItem
                key={slo.ref}
                disableGutters
                secondaryAction={
                  <Chip
                    size="small"
                    label={STATE_LABEL[slo.status?.state ?? 'no_data']}
                    color={STATE_COLOR[slo.status?.state ?? 'no_data']}
                  />
                }
              >
                <ListItemText
                  primary={`${slo.title} (${formatTarget(slo.objective)}, ${
                    slo.window
                  })`}
                  secondary={`budget ${formatPercent(
                    slo.status?.budgetRemaining,
                    1,
                  )} left · exhausts ${
                    slo.status?.state === 'exhausted'
                      ? 'now'
                      : formatUntil(slo.status?.exhaustsAt)
                  }`}
                />
              </ListItem>
            ))}
          </List>
        )}
      </CardContent>
    </Card>
  );
}
