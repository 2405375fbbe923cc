import { useState } from 'react';
import useAsync from 'react-use/esm/useAsync';
import Alert from '@mui/material/Alert';
import Box from '@mui/material/Box';
import List from '@mui/material/List';
import ListItemButton from '@mui/material/ListItemButton';
import ListItemText from '@mui/material/ListItemText';
import Stack from '@mui/material/Stack';
import Typography from '@mui/material/Typography';
import { useApi } from '@backstage/core-plugin-api';
import { EntityPath, reliabilityApiRef } from '../../api/ReliabilityApi';
import { errorMessage } from '../../util/errors';
import { legibleText } from '../../util/legibility';

const COLOR = {
  '+': legibleText('success'),
  '-': legibleText('error'),
  ' ': 'text.secondary',
} as const;

/** The runbook's versions (who, when, what) and the diff of the one picked against the one before. */
export function RunbookHistory({ entity }: { entity: EntityPath }) {
  const api = useApi(reliabilityApiRef);
  const versions = useAsync(
    () => api.listRunbookVersions(entity),
    [api, entity.kind, entity.namespace, entity.name],
  );
  const [picked, setPicked] = useState<number>();
  const diff = useAsync(
    async () => (picked ? api.getRunbookVersion(entity, picked) : undefined),
    [api, picked],
  );
  if (versions.error)
    return <Alert severity="error">{errorMessage(versions.error)}</Alert>;
  return (
    <Stack
      direction={{ xs: 'column', md: 'row' }}
      spacing={2}
      data-testid="runbook-history"
    >
      <List dense sx={{ minWidth: 280 }}>
        {(versions.value?.items ?? []).map(v => (
          <ListItemButton
            key={v.version}
            selected={picked === v.version}
            onClick={() => setPicked(v.version)}
          >
            <ListItemText
              primary={`v${v.version} · ${v.author}`}
              secondary={`${new Date(v.createdAt).toLocaleString()}${
                v.message ? ` · ${v.message}` : ''
              }`}
            />
          </ListItemButton>
        ))}
      </List>
      <Box
        flex={1}
        sx={{ fontFamily: 'monospace', fontSize: 12, whiteSpace: 'pre-wrap' }}
        data-testid="runbook-diff"
      >
        {!picked && (
          <Typography variant="body2">
            Pick a version to see what it changed.
          </Typography>
        )}
        {diff.value?.diff
          .filter(
            (d, i, all) =>
              d.op !== ' ' ||
              all.slice(Math.max(0, i - 2), i + 3).some(x => x.op !== ' '),
          )
          .map((d, i) => (
            <Box key={i} sx={{ color: COLOR[d.op] }}>
              {d.op} {d.text}
            </Box>
          ))}
      </Box>
    </Stack>
  );
}
