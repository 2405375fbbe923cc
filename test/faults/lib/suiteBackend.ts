/*
 * The reliability suite's plugins alone on a Backstage backend: the catalog (with the suite's catalog module, which
 * reads the SLO entities), the events bus and the reliability backend. The fault suite's SIGKILL test restarts it
 * twenty times, so it leaves out what the suite does not need (scaffolder, TechDocs, search, auth providers). Started
 * by lib/backend.mjs with the repository's node loader, from packages/backend (its config paths).
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-events-backend'));
backend.add(
  import('@reliability-suite/plugin-catalog-backend-module-reliability'),
);
backend.add(import('@reliability-suite/plugin-reliability-backend'));
backend.start();
