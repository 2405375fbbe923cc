import {
  DependencyList,
  useCallback,
  useEffect,
  useMemo,
  useState,
} from 'react';
import { ReliabilityApi } from '../api/ReliabilityApi';

/** What useReusedAsync answers: react-use's useAsyncRetry's shape. */
export type ReusedAsyncState<T> = {
  value?: T;
  error?: Error;
  loading: boolean;
  retry: () => void;
};

/**
 * Like react-use's useAsyncRetry, for the reads the client reuses (the Reliability tab's): when the client already
 * holds the answer, the first render shows it, with no loading state in between, so that coming back to the tab
 * draws it in one pass. Otherwise it loads as useAsyncRetry does, keeping the previous value while it loads.
 * `load` is called while rendering: the client shares a request in flight, so asking twice costs one request.
 */
export function useReusedAsync<T>(
  api: ReliabilityApi,
  load: () => Promise<T>,
  deps: DependencyList,
): ReusedAsyncState<T> {
  const [attempt, setAttempt] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const promise = useMemo(load, [...deps, attempt]);
  const [settled, setSettled] = useState<{
    promise: Promise<T>;
    value?: T;
    error?: Error;
  }>();
  const held = api.reused?.(promise);
  useEffect(() => {
    if (held) return undefined;
    let live = true;
    promise.then(
      value => live && setSettled({ promise, value }),
      error =>
        live &&
        setSettled({
          promise,
          error: error instanceof Error ? error : new Error(String(error)),
        }),
    );
    return () => {
      live = false;
    };
  }, [promise, held]);
  const retry = useCallback(() => setAttempt(n => n + 1), []);
  if (held) return { value: held.value, loading: false, retry };
  if (settled?.promise === promise)
    return {
      value: settled.value,
      error: settled.error,
      loading: false,
      retry,
    };
  // loading: the last answer stays shown (a failure's does not)
  return { value: settled?.value, loading: true, retry };
}
