import { fullJitterDelayMs } from './backoff';

describe('backoff', () => {
  it('draws full-jitter delays below the capped exponential ceiling', () => {
    expect(fullJitterDelayMs(0, 100, 1000, () => 0.999)).toBe(99);
    expect(fullJitterDelayMs(3, 100, 1000, () => 0.5)).toBe(400);
    expect(fullJitterDelayMs(10, 100, 1000, () => 0.999)).toBe(999);
    expect(fullJitterDelayMs(2, 100, 1000, () => 0)).toBe(0);
  });
});
