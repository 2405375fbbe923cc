/**
 * At most `limit` tasks in flight per key (a host), the rest queued in arrival order. Keys with nothing in flight
 * and nothing queued are forgotten, so the map stays as small as the hosts being called.
 */
export class HostLimiter {
  private readonly slots = new Map<
    string,
    { active: number; queue: (() => void)[] }
  >();

  constructor(private readonly limit: number) {
    if (!(limit >= 1))
      throw new Error('HostLimiter needs a limit of at least 1');
  }

  /** How many tasks run for the key now (for tests and metrics). */
  active(key: string): number {
    return this.slots.get(key)?.active ?? 0;
  }

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    let slot = this.slots.get(key);
    if (!slot) this.slots.set(key, (slot = { active: 0, queue: [] }));
    // a finishing task hands its slot straight to the next in the queue, so a newcomer never jumps in between
    if (slot.active >= this.limit)
      await new Promise<void>(resolve => slot!.queue.push(resolve));
    else slot.active++;
    try {
      return await task();
    } finally {
      const next = slot.queue.shift();
      if (next) next();
      else if (--slot.active === 0) this.slots.delete(key);
    }
  }
}

/** Runs `task` over `items` with at most `concurrency` at once; answers the results in the items' order. */
export async function mapPool<T, R>(
  items: T[],
  concurrency: number,
  task: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await task(items[i]);
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, worker),
  );
  return out;
}
