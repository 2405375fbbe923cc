/**
 * The schema each published release left behind: the last migration it ran and the SHA-256 of every
 * migration file it shipped. A released migration is never edited (adopters' databases already ran it):
 * a later change is a new migration. `upgrade.test.ts` builds a database at each release, fills every
 * table, migrates it to the current schema and counts the rows before and after.
 */
export interface ReleasedSchema {
  version: string;
  /** Migration file name to the first 16 hex digits of the SHA-256 of its bytes, in the order they run. */
  migrations: Record<string, string>;
}

export const RELEASED_SCHEMAS: ReleasedSchema[] = [
  {
    version: '0.1.0',
    migrations: {
      '20261122000000_init.js': 'f33941ca8f4cf9af',
      '20261122010000_alerts.js': '5251815bf0defc89',
      '20261122020000_alertmanager.js': '8d20db36fc80cd43',
      '20261122030000_remediation.js': '16e5e9ca65b49185',
      '20261122040000_runbooks_incidents.js': '5e1015a32fdda77e',
      '20261123000000_am_long_values.js': 'cb8ca62b3c5f0882',
      '20261123010000_late_counts.js': '141f1087627e8165',
      '20261123020000_registry_hash.js': '41d9e5fbf9c0f961',
      '20261123030000_status_firing_rules.js': '6dcfa4e633f563d4',
      '20261123040000_escalations.js': '8e5d936fceb58d2d',
      '20261123050000_chaos.js': 'd492a0d558cff446',
      '20261123060000_drills.js': 'dc949432b46fdc62',
      '20261123070000_capacity.js': '3682373179b526d7',
      '20261123080000_changes.js': '08a50d16ba6d7030',
      '20261123090000_synthetics.js': '15396cf80548eba7',
      '20261123100000_overview.js': '6db2132baf79cd89',
      '20261124090000_registry_imports.js': '49f4e3ac7d18da27',
      '20261124100000_notices.js': '340002431c4ddf94',
      '20261124110000_slice_tallies.js': '54ff09dc0025c563',
      '20261124120000_corrections.js': 'da82bce7940a38e5',
      '20261125100000_count_index.js': '7a8788993b6775eb',
      '20261125110000_slo_summaries.js': '1119fdbd41a61465',
      '20261126100000_status_hot.js': '6aa4020bdcd70e5e',
      '20261204100000_redact_targets.js': '48de9d54ea30f058',
    },
  },
];
