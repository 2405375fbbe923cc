import { openBenchDb } from './db';
import { ReliabilityDatabase } from '../plugins/reliability-backend/src/database/ReliabilityDatabase';
async function main() {
  const { knex, close } = await openBenchDb('sqlite', '');
  await ReliabilityDatabase.create(knex);
  for (const q of [
    "SELECT s.ref, (SELECT MAX(i.bucket_end) FROM reliability_buckets i WHERE i.slo_ref = s.ref AND i.bucket_end <= 5) AS e FROM reliability_slos s",
    "SELECT m.ref, (SELECT MAX(x.bucket_end) FROM reliability_buckets x WHERE x.slo_ref = m.ref AND x.bucket_end <= 5) FROM (SELECT j.value AS ref FROM json_each('[\"a\"]') j) m",
    "SELECT slo_ref, MIN(bucket_end) FROM reliability_buckets b WHERE b.slo_ref = 'a'",
    "SELECT s.ref, (SELECT MIN(b.bucket_end) FROM reliability_buckets b WHERE b.slo_ref = s.ref) FROM reliability_slos s",
    "SELECT * FROM reliability_buckets WHERE written_at > 5",
    "SELECT * FROM reliability_buckets WHERE (bucket_end > 1 AND bucket_end <= 2) OR (bucket_end > 5 AND bucket_end <= 7)",
    "SELECT slo_ref, bucket_end FROM reliability_buckets WHERE slo_ref = 'a' ORDER BY bucket_end DESC LIMIT 1",
  ]) {
    console.log(q.slice(0, 90)); console.log((await knex.raw('EXPLAIN QUERY PLAN ' + q)).map((r: any) => '   ' + r.detail).join('\n'));
  }
  await close();
}
main();
