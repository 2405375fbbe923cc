import { Route, Routes } from 'react-router-dom';
import { CommanderPage } from './CommanderPage/CommanderPage';
import { RunbookPage } from './RunbookPage/RunbookPage';
import { IncidentPage } from './IncidentPage/IncidentPage';

/** The plugin's page at /reliability: the commander view, runbooks and incidents. @public */
export function ReliabilityPage() {
  return (
    <Routes>
      <Route path="/" element={<CommanderPage />} />
      <Route path="/runbooks/:kind/:namespace/:name" element={<RunbookPage />} />
      <Route path="/incidents/:id" element={<IncidentPage />} />
    </Routes>
  );
}
