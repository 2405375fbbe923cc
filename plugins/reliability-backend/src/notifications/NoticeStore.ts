import { Knex } from 'knex';

const TABLE = 'reliability_notices';

/** Which notices were sent, so each fact is told once. Keeps its table to itself. */
export class NoticeStore {
  constructor(private readonly knex: Knex) {}

  /** Records the notice; false when it was already sent (by this or another replica). */
  async claim(key: string, now: number): Promise<boolean> {
    return this.knex.transaction(async tx => {
      if (await tx(TABLE).where('notice_key', key).first()) return false;
      await tx(TABLE)
        .insert({ notice_key: key, sent_at: now })
        .onConflict('notice_key')
        .ignore();
      return true;
    });
  }

  /** Forgets notices sent before `before`. */
  async prune(before: number): Promise<number> {
    return this.knex(TABLE).where('sent_at', '<', before).delete();
  }
}
