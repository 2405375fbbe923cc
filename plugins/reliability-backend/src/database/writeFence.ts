import type { Knex } from 'knex';

/**
 * What a write must commit with, run inside the write's own transaction before it commits: an idempotency key's
 * answer (`IdempotencyService`), so that a request's effects and its key's answer land together or not at all. It
 * throws when the write must not land (the key was taken over by a retry), which rolls the whole transaction back.
 * `result` is what the write answers its caller (the created record, the number of items counted).
 */
export type WriteFence = (
  tx: Knex.Transaction,
  result: unknown,
) => Promise<void>;
