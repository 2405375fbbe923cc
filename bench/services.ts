import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { mockServices } from '@backstage/backend-test-utils';

/** A logger for benchmarks: errors and warnings only. */
export const benchLogger: LoggerService = mockServices.rootLogger({ level: 'warn' });

/** An auditor that records nothing: benchmarks measure the work, not the audit log. */
export const benchAuditor: AuditorService = {
  async createEvent() {
    return { async success() {}, async fail() {} };
  },
};

/** A command-line option of a benchmark: `--name value`, or the fallback. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}
