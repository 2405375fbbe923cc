import {
  Link as RouterLink,
  Route,
  Routes,
  useLocation,
} from 'react-router-dom';
import Box from '@mui/material/Box';
import Tab from '@mui/material/Tab';
import Tabs from '@mui/material/Tabs';
import { CommanderPage } from './CommanderPage/CommanderPage';
import { RunbookPage } from './RunbookPage/RunbookPage';
import { IncidentPage } from './IncidentPage/IncidentPage';
import { OverviewPage } from './OverviewPage/OverviewPage';

/** The commander view and the organisation overview, side by side as tabs. */
function Home({
  tab,
  newSloTemplate,
}: {
  tab: 'commander' | 'overview';
  newSloTemplate?: string;
}) {
  const { pathname } = useLocation();
  const base = pathname.replace(/\/overview\/?$/, '').replace(/\/$/, '');
  return (
    <Box>
      <Tabs
        value={tab}
        sx={{ px: 3, borderBottom: 1, borderColor: 'divider' }}
        aria-label="reliability views"
      >
        <Tab
          value="commander"
          label="Commander"
          component={RouterLink}
          to={base || '/'}
        />
        <Tab
          value="overview"
          label="Overview"
          component={RouterLink}
          to={`${base}/overview`}
          data-testid="overview-tab"
        />
      </Tabs>
      {tab === 'commander' ? (
        <CommanderPage />
      ) : (
        <Box p={3}>
          <OverviewPage newSloTemplate={newSloTemplate} />
        </Box>
      )}
    </Box>
  );
}

/**
 * The plugin's page at /reliability: the commander view, the organisation overview, runbooks and incidents.
 * `newSloTemplate` is where the "New SLO" template lives in this app (default `/create/templates/default/new-slo`).
 * @public
 */
export function ReliabilityPage(props: { newSloTemplate?: string } = {}) {
  return (
    <Routes>
      <Route path="/" element={<Home tab="commander" />} />
      <Route
        path="/overview"
        element={<Home tab="overview" newSloTemplate={props.newSloTemplate} />}
      />
      <Route
        path="/runbooks/:kind/:namespace/:name"
        element={<RunbookPage />}
      />
      <Route path="/incidents/:id" element={<IncidentPage />} />
    </Routes>
  );
}
